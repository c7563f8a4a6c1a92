/**
 * Streaming clients that can tell their own stream from anyone else's. The mock runtime's answer is a
 * pure function of the prompt (its hash seeds the token text) and `max_tokens` (the length), so each
 * client gets a prompt and length whose expected answer no other client shares, and checks that it
 * received exactly that text, in order, and a clean end (`[DONE]`).
 */
import { hashString, tokenText } from '@llm-fleet/mock-runtime'
import type { Pool } from 'undici'
import { runClosedLoop } from '../internal/closed-loop-load.js'
import { postJson } from '../internal/post-json.js'

export interface StreamPlan {
  readonly prompt: string
  readonly maxTokens: number
  readonly expected: string
}

export type StreamOutcome = 'ok' | 'lost' | 'mixed-up'

/** Plans `count` streams with pairwise different expected answers, `minTokens` to `maxTokens` long. */
export function planStreams(count: number, minTokens: number, maxTokens: number, tag: string): StreamPlan[] {
  const plans: StreamPlan[] = []
  const seen = new Set<string>()
  const lengths = maxTokens - minTokens + 1
  for (let index = 0; plans.length < count; index++) {
    const length = minTokens + (index % lengths)
    for (let salt = 0; salt < 1000; salt++) {
      const prompt = `${tag} client ${index} salt ${salt}`
      const expected = expectedAnswer(prompt, length)
      if (seen.has(expected)) continue
      seen.add(expected)
      plans.push({ prompt, maxTokens: length, expected })
      break
    }
  }
  return plans
}

function expectedAnswer(prompt: string, length: number): string {
  const seed = hashString(prompt)
  let text = ''
  for (let index = 0; index < length; index++) text += tokenText(seed, index)
  return text
}

/** Streams one chat completion through `pool` and checks it against its plan. */
export async function runStream(pool: Pool, plan: StreamPlan, model: string): Promise<StreamOutcome> {
  try {
    const response = await postJson(pool, '/v1/chat/completions', {
      model,
      messages: [{ role: 'user', content: plan.prompt }],
      max_tokens: plan.maxTokens,
      stream: true,
    })
    if (response.statusCode !== 200) {
      await response.body.dump()
      return 'lost'
    }
    let buffered = ''
    let content = ''
    let isDone = false
    for await (const chunk of response.body) {
      buffered += (chunk as Buffer).toString('utf8')
      for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
        const event = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        if (!event.startsWith('data: ')) continue
        const data = event.slice('data: '.length)
        if (data === '[DONE]') {
          isDone = true
          continue
        }
        const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }
        content += parsed.choices?.[0]?.delta?.content ?? ''
      }
    }
    if (!isDone) return 'lost'
    return content === plan.expected ? 'ok' : 'mixed-up'
  } catch {
    // A broken stream is what this bench counts, not an error to handle: it is reported as lost.
    return 'lost'
  }
}

/**
 * Keeps `concurrency` streams running back to back until `signal` aborts: the proxy traffic beside the
 * push load. Resolves with the outcome counts.
 */
export async function runBackgroundStreams(
  pool: Pool,
  concurrency: number,
  model: string,
  signal: AbortSignal,
): Promise<Record<StreamOutcome, number>> {
  const counts: Record<StreamOutcome, number> = { ok: 0, lost: 0, 'mixed-up': 0 }
  const plans = planStreams(64, 20, 40, 'background')
  await runClosedLoop(concurrency, signal, async (lane, iteration) => {
    const plan = plans[(lane + iteration * concurrency) % plans.length] as StreamPlan
    counts[await runStream(pool, plan, model)]++
  })
  return counts
}
