/**
 * NodeIdentities: who a registering node is. A node is known by its hostname and runtime URL, the same
 * on every coordinator, so a node that registers again keeps its id; a new node draws a random id and
 * the `node` label of its metrics series (see `MetricsLabels`), and the operator is warned when its
 * name is already another node's.
 */
import { randomBytes } from 'node:crypto'
import type { PublicRegistration } from '@llm-fleet/types'
import { MetricsLabels } from './metrics-labels.js'
import type { NodeRecord } from './node-record.js'
import type { RegistryLog } from './node-registry-options.js'

/** A new node's identity, from `NodeIdentities.claim`. */
export interface ClaimedIdentity {
  readonly id: string
  readonly metricsLabel: string
  /** The id of a held node that had the new node's name as it registered, if any. */
  readonly namesakeId: string | undefined
}

/** `hostname \n runtime URL`: the same on every coordinator, unlike agent ids. */
export function nodeKeyOf(registration: PublicRegistration): string {
  return `${registration.hostname}\n${registration.runtime.url}`
}

export class NodeIdentities {
  readonly #generateId: () => string
  /** Node key → id: a re-registering node keeps its id. */
  readonly #idsByKey = new Map<string, string>()
  readonly #metricsLabels = new MetricsLabels()

  /** `generateId`: new agent ids; default 12 random url-safe characters. */
  constructor(generateId: (() => string) | undefined) {
    this.#generateId = generateId ?? (() => randomBytes(9).toString('base64url'))
  }

  /** The id of the held node with this key (see `nodeKeyOf`), if any. */
  idOf(key: string): string | undefined {
    return this.#idsByKey.get(key)
  }

  /**
   * Gives a new node its id and metrics label, held until `release`. `isIdTaken` says whether a drawn
   * id is already a held node's (then another is drawn).
   */
  claim(name: string, key: string, isIdTaken: (id: string) => boolean): ClaimedIdentity {
    const namesakeId = this.#metricsLabels.namesakeOf(name)
    for (;;) {
      const id = this.#generateId()
      const metricsLabel = isIdTaken(id) ? null : this.#metricsLabels.labelFor(name, id)
      if (metricsLabel === null) continue
      this.#idsByKey.set(key, id)
      this.#metricsLabels.hold(name, id, metricsLabel)
      return { id, metricsLabel, namesakeId }
    }
  }

  /** The node is gone: its key, name and label are free again. */
  release(record: NodeRecord): void {
    this.#idsByKey.delete(record.key)
    this.#metricsLabels.release(record.registration.hostname, record.id, record.metricsLabel)
  }
}

/** Once per node, at its first registration: the operator can tell the two apart only by their ids. */
export function warnNameShared(log: RegistryLog, record: NodeRecord, namesake: NodeRecord): void {
  log.warn(
    {
      name: record.registration.hostname,
      nodeId: record.id,
      runtime: record.registration.runtime.url,
      metricsLabel: record.metricsLabel,
      otherNodeId: namesake.id,
      otherRuntime: namesake.registration.runtime.url,
    },
    `node ${record.id} (${record.registration.runtime.url}) has the name of node ${namesake.id} (${namesake.registration.runtime.url}): its metrics are labelled node="${record.metricsLabel}"; set NODE_NAME on one of the two agents`,
  )
}
