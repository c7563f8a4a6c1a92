/** A worker thread of `pnpm bench:balance`: runs the jobs it is sent and posts each run's figures back. */
import { parentPort } from 'node:worker_threads'
import { comparedRouter } from './compared-routers.js'
import { runOnce } from './engine.js'
import { figuresOf } from './stats.js'
import type { WorkloadName } from './world/workloads.js'

export interface Job {
  readonly index: number
  readonly workload: WorkloadName
  readonly load: number
  readonly strategy: string
  readonly seed: number
  readonly requests: number
}

if (parentPort === null) throw new Error('worker.ts runs as a worker thread')
const port = parentPort
port.on('message', (job: Job) => {
  const result = runOnce({
    workload: job.workload,
    load: job.load,
    seed: job.seed,
    requests: job.requests,
    makeRouter: comparedRouter(job.strategy).make,
  })
  port.postMessage({ index: job.index, figures: figuresOf(result), capacityPerS: result.capacityPerS })
})
