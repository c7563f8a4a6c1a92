import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { GpuLiveValuesList } from '@llm-fleet/types'
import { afterEach, describe, expect, it } from 'vitest'
import { VERSION_MISMATCH_BODY, writeFakeBinary } from '../../test/helpers/fake-binaries.js'
import { FAKE_NVIDIA_SMI, xmlFixturePath } from '../../test/helpers/fixtures.js'
import { QueryGpuLoop } from './query-gpu-loop.js'

const loops: QueryGpuLoop[] = []
afterEach(() => {
  for (const loop of loops.splice(0)) loop.stop()
})

function createLoop(
  binary: string,
  options: { expectedGpuCount: number; now?: () => number; timeoutMs?: number },
) {
  const loop = new QueryGpuLoop({ binary, intervalMs: 100, timeoutMs: options.timeoutMs ?? 5000, ...options })
  loops.push(loop)
  return loop
}

describe('QueryGpuLoop (one long-running -lms child)', () => {
  it('returns the latest complete block of every GPU from one child', async () => {
    const binary = writeFakeBinary(
      `echo "$@" >> "$(dirname "$0")/calls"\nFAKE_NVSMI_XML='${xmlFixturePath('gpuid__h100.xml')}' exec '${FAKE_NVIDIA_SMI}' "$@"`,
    )
    const loop = createLoop(binary, { expectedGpuCount: 8 })
    const first = await loop.sample()
    expect(first.kind).toBe('ok')
    if (first.kind === 'ok') expect(first.gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect((await loop.sample()).kind).toBe('ok')
    const calls = readFileSync(join(dirname(binary), 'calls'), 'utf8')
      .trim()
      .split('\n')
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatch(/--format=csv,noheader,nounits -lms 100$/)
  })

  it('reports the GPUs that answered, each once, when one prints an error line instead', async () => {
    // GPU 0 fell off the bus: each period has GPU 1's line only, so no block reaches the 2 expected.
    const lines = [
      'echo "Unable to determine the device handle for GPU0000:01:00.0: Unknown Error"',
      'echo "1, GPU-b, 5, 10, 100, 30, 50.0"',
    ]
    const binary = writeFakeBinary(`while true; do\n${lines.join('\n')}\nsleep 0.05\ndone`)
    const outcome = await createLoop(binary, { expectedGpuCount: 2 }).sample()
    expect(outcome).toMatchObject({ kind: 'ok', gpus: [{ index: 1, uuid: 'GPU-b' }] })
    if (outcome.kind === 'ok') expect(GpuLiveValuesList.safeParse(outcome.gpus).success).toBe(true)
  })

  it('reports a child that fails (exit 18) with the driver’s message, then restarts it', async () => {
    const loop = createLoop(writeFakeBinary(VERSION_MISMATCH_BODY), { expectedGpuCount: 1 })
    const outcome = await loop.sample()
    expect(outcome).toMatchObject({
      kind: 'failed',
      exitCode: 18,
      message: expect.stringMatching(/version mismatch/),
    })
    expect(await loop.sample()).toMatchObject({ kind: 'failed', exitCode: 18 })
  })

  it('reports a missing binary as missing', async () => {
    expect(await createLoop('/nonexistent/nvidia-smi', { expectedGpuCount: 1 }).sample()).toMatchObject({
      kind: 'missing',
    })
  })

  it('times out a child that prints nothing, and one whose output went stale', async () => {
    const silent = createLoop(writeFakeBinary('sleep 30'), { expectedGpuCount: 1, timeoutMs: 300 })
    expect(await silent.sample()).toEqual({ kind: 'timeout', timeoutMs: 300 })

    let nowMs = 0
    const stuck = createLoop(writeFakeBinary('echo "0, GPU-a, 5, 10, 100, 30, 50.0"\nsleep 30'), {
      expectedGpuCount: 1,
      now: () => nowMs,
      timeoutMs: 300,
    })
    expect(await stuck.sample()).toMatchObject({ kind: 'ok' })
    nowMs += 10_000 // no new block for 10 s at a 100 ms period
    expect(await stuck.sample()).toEqual({ kind: 'timeout', timeoutMs: 300 })
  })
})
