/**
 * What the demo prints: one line per routed request and, on a terminal, a live footer with each
 * node's slots in use, redrawn in place with plain ANSI escapes. Writes to the stream it is given.
 */
import type { FleetNode } from '@llm-fleet/types'
import type { TrafficSummary } from './summary.js'
import type { PlannedRequest, RequestOutcome, Routing, TrafficObserver, TrafficPhase } from './traffic.js'

/** The little a view needs of a stream: `process.stdout` or a test's collector. */
export interface TextSink {
  write(text: string): unknown
}

const ESC = '\u001b['
const COLORS = {
  bold: '1',
  dim: '2',
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  cyan: '36',
}
type Color = keyof typeof COLORS
/** One color per node, in the order the hosts were given. */
const NODE_COLORS: readonly Color[] = ['green', 'cyan', 'magenta', 'yellow', 'blue']
/** Redraws of the footer at most this often while tokens stream in. */
const FOOTER_REDRAW_MS = 80

interface NodeTally {
  inFlight: number
  served: number
  tokens: number
}

export interface TerminalViewOptions {
  readonly sink: TextSink
  /** ANSI colors and the live footer; plain lines otherwise (CI, a pipe). */
  readonly isInteractive: boolean
  /** The terminal's width (`process.stdout.columns`): footer lines are cut to fit. */
  readonly columns?: number
  /** The nodes to show in the footer, fastest first, with their MAX_CONCURRENCY. */
  readonly nodes: readonly { readonly name: string; readonly maxConcurrency: number }[]
}

export class TerminalView implements TrafficObserver {
  readonly #options: TerminalViewOptions
  readonly #tallies = new Map<string, NodeTally>()
  /** Where each request in flight went, and the tokens it streamed so far. */
  readonly #inFlight = new Map<number, { node: string; tokens: number }>()
  #footerLines = 0
  #isLive = false
  #redrawTimer: NodeJS.Timeout | undefined

  constructor(options: TerminalViewOptions) {
    this.#options = options
    for (const node of options.nodes) this.#tallies.set(node.name, { inFlight: 0, served: 0, tokens: 0 })
  }

  /** `text` in `color` on a terminal, as is otherwise. */
  paint(text: string, color: Color): string {
    return this.#options.isInteractive ? `${ESC}${COLORS[color]}m${text}${ESC}0m` : text
  }

  /** Prints lines (above the footer while it is shown). */
  print(text = ''): void {
    this.#clearFooter()
    this.#options.sink.write(`${text}\n`)
    this.#drawFooter()
  }

  /** Shows the live footer until `stopLive` (only on a terminal). */
  startLive(): void {
    if (!this.#options.isInteractive) return
    this.#isLive = true
    this.#options.sink.write(`${ESC}?25l`)
    this.#drawFooter()
  }

  /** Leaves the footer's last state on screen and shows the cursor again. */
  stopLive(): void {
    if (!this.#isLive) return
    clearTimeout(this.#redrawTimer)
    this.#redraw()
    this.#isLive = false
    this.#footerLines = 0
    this.#options.sink.write(`${ESC}?25h`)
  }

  phaseStarted(phase: TrafficPhase, index: number, total: number): void {
    this.print()
    this.print(this.paint(`▶ ${index + 1}/${total}  ${phase.title}`, 'bold'))
  }

  requestRouted(request: PlannedRequest, routing: Routing): void {
    this.#inFlight.set(request.id, { node: routing.node, tokens: 0 })
    this.#tally(routing.node).inFlight += 1
    const kind = request.isStreaming ? 'stream' : 'json  '
    const id = `#${String(request.id).padStart(2, '0')}`
    this.print(
      `  ${id} ${this.paint(kind, 'dim')} → ${this.#paintNode(routing.node)}  ${this.paint(routing.reason, 'dim')}`,
    )
  }

  requestProgress(request: PlannedRequest, tokens: number): void {
    const entry = this.#inFlight.get(request.id)
    if (entry === undefined) return
    entry.tokens = tokens
    this.#scheduleRedraw()
  }

  requestFinished(outcome: RequestOutcome): void {
    const entry = this.#inFlight.get(outcome.id)
    this.#inFlight.delete(outcome.id)
    const node = entry?.node ?? outcome.routing?.node
    if (node !== undefined) {
      const tally = this.#tally(node)
      if (entry !== undefined) tally.inFlight -= 1
      if (outcome.error === null) {
        tally.served += 1
        tally.tokens += outcome.completionTokens
      }
    }
    if (outcome.error !== null) {
      this.print(
        this.paint(
          `  #${outcome.id} failed${node === undefined ? '' : ` on ${node}`}: ${outcome.error}`,
          'red',
        ),
      )
    } else {
      this.#scheduleRedraw()
    }
  }

  #tally(node: string): NodeTally {
    let tally = this.#tallies.get(node)
    if (tally === undefined) {
      tally = { inFlight: 0, served: 0, tokens: 0 }
      this.#tallies.set(node, tally)
    }
    return tally
  }

  #paddedName(node: string): string {
    return node.padEnd(
      Math.max(...this.#options.nodes.map((candidate) => candidate.name.length), node.length),
    )
  }

  #paintNode(node: string): string {
    const index = this.#options.nodes.findIndex((candidate) => candidate.name === node)
    return this.paint(this.#paddedName(node), NODE_COLORS[index] ?? 'bold')
  }

  #footer(): string[] {
    const lines = ['']
    for (const node of this.#options.nodes) {
      const tally = this.#tally(node.name)
      const streaming = [...this.#inFlight.values()]
        .filter((entry) => entry.node === node.name)
        .reduce((sum, entry) => sum + entry.tokens, 0)
      const used = Math.min(tally.inFlight, node.maxConcurrency)
      const queued = Math.max(0, tally.inFlight - node.maxConcurrency)
      const slots = `${'■'.repeat(used)}${'□'.repeat(node.maxConcurrency - used)}${queued > 0 ? ` +${queued}` : ''}`
      const name = this.#paddedName(node.name)
      const line =
        `  ${name}  ${slots.padEnd(10)} ${String(tally.inFlight).padStart(2)}/${node.maxConcurrency} in flight` +
        `   served ${String(tally.served).padStart(3)}   tokens ${String(tally.tokens + streaming).padStart(5)}`
      // A footer line that wrapped would take two rows, and the redraw would climb one row short.
      const fitted = line.slice(0, Math.max(0, (this.#options.columns ?? Number.POSITIVE_INFINITY) - 1))
      lines.push(
        fitted.startsWith(`  ${name}`)
          ? `  ${this.#paintNode(node.name)}${fitted.slice(name.length + 2)}`
          : fitted,
      )
    }
    return lines
  }

  #scheduleRedraw(): void {
    if (!this.#isLive || this.#redrawTimer !== undefined) return
    this.#redrawTimer = setTimeout(() => {
      this.#redrawTimer = undefined
      this.#redraw()
    }, FOOTER_REDRAW_MS)
  }

  #redraw(): void {
    this.#clearFooter()
    this.#drawFooter()
  }

  #clearFooter(): void {
    if (this.#footerLines === 0) return
    // To the start of the footer's first line, then erase to the end of the screen.
    this.#options.sink.write(`${ESC}${this.#footerLines}F${ESC}J`)
    this.#footerLines = 0
  }

  #drawFooter(): void {
    if (!this.#isLive) return
    const lines = this.#footer()
    this.#options.sink.write(`${lines.join('\n')}\n`)
    this.#footerLines = lines.length
  }
}

/** The fleet as the coordinator sees it: one line per node, fastest first. */
export function formatFleet(nodes: readonly FleetNode[]): string[] {
  const sorted = [...nodes].sort((left, right) => right.computeScore - left.computeScore)
  const width = Math.max(...sorted.map((node) => node.name.length))
  return sorted.map((node) => {
    const gpus = countedNames(node.registration.gpus.map((gpu) => gpu.name)) || 'no GPU'
    return `  ${node.name.padEnd(width)}  ${node.state.padEnd(7)} score ${node.computeScore.toFixed(1).padStart(6)}  max ${node.registration.maxConcurrency} in flight  ${gpus}  → ${node.registration.runtime.url}`
  })
}

/** The summary table: requests, tokens and mean latency per node. */
export function formatSummary(summary: TrafficSummary): string[] {
  const width = Math.max(4, ...summary.nodes.map((node) => node.node.length))
  const lines = [`  ${'node'.padEnd(width)}  requests   tokens   mean latency`]
  for (const node of summary.nodes) {
    lines.push(
      `  ${node.node.padEnd(width)}  ${String(node.requests).padStart(8)}  ${String(node.completionTokens).padStart(7)}   ${(node.meanLatencyMs / 1000).toFixed(2).padStart(9)} s`,
    )
  }
  lines.push(`  ${summary.requests} requests, ${summary.failures} failed`)
  return lines
}

/** How to try the fleet by hand once the demo traffic is over. */
export function formatTryIt(coordinatorUrl: string, model: string): string[] {
  return [
    `The fleet keeps running; its coordinator is at ${coordinatorUrl}`,
    'Try it:',
    '',
    `  curl -s ${coordinatorUrl}/v1/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}],"max_tokens":32}' -i`,
    '',
    `  curl -s ${coordinatorUrl}/api/chat -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`,
    '',
    `  curl -s '${coordinatorUrl}/api/route?model=${encodeURIComponent(model)}&api=openai'   # who would serve it, and why`,
    '',
    `  OPENAI_BASE_URL=${coordinatorUrl}/v1 OLLAMA_HOST=${coordinatorUrl}   # for any OpenAI or Ollama client`,
    '',
    'Press Ctrl-C to stop the coordinator, the agents and the simulated hosts.',
  ]
}

/** `8× NVIDIA H100 80GB HBM3, NVIDIA A10G`. */
function countedNames(names: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1)
  return [...counts].map(([name, count]) => (count > 1 ? `${count}× ${name}` : name)).join(', ')
}
