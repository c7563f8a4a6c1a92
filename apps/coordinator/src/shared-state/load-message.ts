/**
 * The wire format coordinators exchange through the shared store: one JSON message per publish, on one
 * channel, and the same `full` message stored under each coordinator's key (with a TTL) for peers that
 * join later. Parsed on the way in like every other boundary: a foreign or corrupt message is dropped.
 */
import { z } from 'zod'

const NodeKey = z.string()
const Count = z.number().int().min(0)
const CoolForMs = z.number().min(0)

/**
 * `[node key, in flight, remaining cool-down ms, prompt tokens not started]`. The last is new: a
 * message without it (a coordinator of the version before) counts none.
 */
export const LoadTuple = z.union([
  z.tuple([NodeKey, Count, CoolForMs, Count]),
  z.tuple([NodeKey, Count, CoolForMs]),
])
export type LoadTuple = z.infer<typeof LoadTuple>

export const LoadMessage = z.strictObject({
  /** The sending coordinator's id (random per process). */
  from: z.string().min(1).max(64),
  /** Increases with every message from one process: an older stored copy never overwrites news. */
  seq: z.number().int().min(0),
  /** `full`: the sender's whole state (heartbeat); `delta`: changed nodes only; `bye`: it is leaving. */
  kind: z.enum(['full', 'delta', 'bye']),
  /** One `LoadTuple` per node; a node absent from a `full` message is idle. */
  nodes: z.array(LoadTuple),
  /** Node keys the sender has online (in `full` messages): readiness waits until it knows them too. */
  online: z.array(z.string()).optional(),
})
export type LoadMessage = z.infer<typeof LoadMessage>

/** The message in `text`, or undefined when it is not one of ours. */
export function parseLoadMessage(text: string): LoadMessage | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    // Someone else's traffic on our channel: not ours to read.
    void error
    return undefined
  }
  const parsed = LoadMessage.safeParse(json)
  return parsed.success ? parsed.data : undefined
}
