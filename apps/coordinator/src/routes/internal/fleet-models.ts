/**
 * What `/api/tags`, `/api/ps` and `/api/version` answer, from what the online Ollama nodes reported:
 * their registrations' model details, their pushes' loaded models, their runtime versions. Shapes as
 * Ollama's own handlers write them (ollama/ollama `api/types.go`: `ListModelResponse`,
 * `ProcessModelResponse`).
 */
import { createHash } from 'node:crypto'
import type { FleetNode, ModelDetail } from '@llm-fleet/types'

/** Ollama's `details` object. */
export interface OllamaDetails {
  parent_model: string
  format: string
  family: string
  families: string[] | null
  parameter_size: string
  quantization_level: string
}

export interface OllamaTag {
  name: string
  model: string
  modified_at: string
  size: number
  digest: string
  details: OllamaDetails
}

export interface OllamaRunning {
  name: string
  model: string
  size: number
  digest: string
  details: OllamaDetails
  expires_at: string
  size_vram: number
}

/** Go's zero time, as Ollama marshals a time it does not know. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z'

const EMPTY_DETAILS: OllamaDetails = {
  parent_model: '',
  format: '',
  family: '',
  families: null,
  parameter_size: '',
  quantization_level: '',
}

/** Online nodes that speak the Ollama API. */
function ollamaNodes(nodes: readonly FleetNode[]): FleetNode[] {
  return nodes.filter((node) => node.state === 'online' && node.registration.runtime.kind === 'ollama')
}

/** Every model's details by name, first node first (nodes pulled from one registry agree). */
function detailsByName(nodes: readonly FleetNode[]): Map<string, ModelDetail> {
  const byName = new Map<string, ModelDetail>()
  for (const node of nodes) {
    for (const detail of node.registration.modelDetails ?? []) {
      if (!byName.has(detail.name)) byName.set(detail.name, detail)
    }
  }
  return byName
}

/**
 * A stand-in digest for a model whose node did not report one (an older agent): clients such as
 * `ollama list` cut the first 12 characters and would show nothing. It is not the model's digest.
 */
function placeholderDigest(name: string): string {
  return createHash('sha256').update(`llm-fleet:unreported:${name}`).digest('hex')
}

function toOllamaDetails(detail: ModelDetail | undefined): OllamaDetails {
  if (detail === undefined) return EMPTY_DETAILS
  const facts = detail.details
  return {
    parent_model: facts.parentModel,
    format: facts.format,
    family: facts.family,
    families: facts.families.length === 0 ? null : facts.families,
    parameter_size: facts.parameterSize,
    quantization_level: facts.quantizationLevel,
  }
}

/** `GET /api/tags`: every model the online Ollama nodes serve, sorted by name, with their details. */
export function fleetTags(nodes: readonly FleetNode[]): OllamaTag[] {
  const online = ollamaNodes(nodes)
  const details = detailsByName(online)
  const names = new Set<string>()
  for (const node of online)
    for (const name of node.metrics?.runtime.models ?? node.registration.models) names.add(name)
  return [...names].sort().map((name) => {
    const detail = details.get(name)
    return {
      name,
      model: name,
      modified_at: detail?.modifiedAt ?? GO_ZERO_TIME,
      size: detail?.sizeBytes ?? 0,
      digest: detail?.digest ?? placeholderDigest(name),
      details: toOllamaDetails(detail),
    }
  })
}

/** `GET /api/ps`: the models loaded on online Ollama nodes, once per name, as the first node reports it. */
export function fleetRunning(nodes: readonly FleetNode[]): OllamaRunning[] {
  const online = ollamaNodes(nodes)
  const details = detailsByName(online)
  const running = new Map<string, OllamaRunning>()
  for (const node of online) {
    const status = node.metrics?.runtime
    if (status === undefined || !status.up) continue
    const loaded =
      status.loaded ??
      status.loadedModels.map((name) => ({ name, sizeBytes: 0, sizeVramBytes: 0, expiresAt: null }))
    for (const model of loaded) {
      if (running.has(model.name)) continue
      const detail = details.get(model.name)
      running.set(model.name, {
        name: model.name,
        model: model.name,
        size: model.sizeBytes,
        digest: detail?.digest ?? placeholderDigest(model.name),
        details: toOllamaDetails(detail),
        expires_at: model.expiresAt ?? GO_ZERO_TIME,
        size_vram: model.sizeVramBytes,
      })
    }
  }
  return [...running.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * `GET /api/version`: the lowest version the online Ollama nodes run (clients check a minimum before
 * using a feature, and a request may land on any node), or `fallback` when none reports one.
 */
export function fleetOllamaVersion(nodes: readonly FleetNode[], fallback: string): string {
  let lowest: string | undefined
  for (const node of ollamaNodes(nodes)) {
    const version = node.registration.runtime.version
    if (version === undefined || !/^\d+\.\d+\.\d+/.test(version)) continue
    if (lowest === undefined || compareVersions(version, lowest) < 0) lowest = version
  }
  return lowest ?? fallback
}

/** Compares `major.minor.patch` numerically; anything after the patch number is ignored. */
export function compareVersions(a: string, b: string): number {
  const partsA = a.split(/[.+-]/, 3).map(Number)
  const partsB = b.split(/[.+-]/, 3).map(Number)
  for (let i = 0; i < 3; i++) {
    const difference = (partsA[i] ?? 0) - (partsB[i] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}
