// tsc writes files without the executable bit; the agent execs the bin directly as `nvidia-smi`.
import { chmodSync } from 'node:fs'

for (const path of process.argv.slice(2)) chmodSync(path, 0o755)
