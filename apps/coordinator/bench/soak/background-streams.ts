/**
 * Child-process entry for the soak bench: keeps `--concurrency` streams running through the coordinator
 * at `--url` until SIGTERM, then prints the outcome counts as one JSON line. Its own process, so that
 * stream parsing never delays the push client's timers (and so its latencies).
 */
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { runBackgroundStreams } from './stream-clients.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    model: { type: 'string', default: 'soak-model' },
  },
})
if (values.url === undefined) throw new Error('--url is required')
const concurrency = Number(values.concurrency)
const pool = new Pool(values.url, { connections: concurrency * 2 })
const stop = new AbortController()
process.once('SIGTERM', () => stop.abort())
const counts = await runBackgroundStreams(pool, concurrency, values.model, stop.signal)
await pool.close()
console.log(JSON.stringify(counts))
