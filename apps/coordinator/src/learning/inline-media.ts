/**
 * Inline media in a request body: images (and documents) sent as base64 strings, the way every API
 * the coordinator serves carries them: Ollama's `images`, OpenAI's `image_url` and `input_image` data
 * URLs, Anthropic's `source.data`. A runtime turns an image into a fixed number of tokens, whatever
 * its bytes, so counting its base64 at bytes / 4 would make a 1 MiB photo a 350 000-token prompt.
 */

/**
 * Prompt tokens one inline image counts as: LLaVA 1.5 encodes one as 576 (24 × 24 patches of 14 px
 * at 336 px). Gemma 3 uses 256, and OpenAI's models count by 512-pixel tile: an estimate of the
 * order, as the bytes / 4 of text is.
 */
export const IMAGE_PROMPT_TOKENS = 576

export interface InlineMedia {
  /** Inline images (or documents) found. */
  readonly count: number
  /** Their characters in all (the body's bytes they take, as base64 is ASCII). */
  readonly chars: number
  /**
   * Where each lies in the raw body, as [start, end) byte pairs in body order: a cached prefix of the
   * body then counts the tokens it really holds (`prefixTokens`). One the body does not hold verbatim
   * (a JSON writer that escapes `/`) is left out, and its bytes count as text there.
   */
  readonly spans: readonly number[]
}

export const NO_MEDIA: InlineMedia = { count: 0, chars: 0, spans: [] }

type Found = { count: number; chars: number; values: string[] }
type Json = Record<string, unknown>

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `data:<type>[;param…];base64,…`: the prefix is short, the payload is not searched. */
const isBase64DataUrl = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith('data:') && value.lastIndexOf(';base64,', 256) > 0

function note(found: Found, value: string): void {
  found.count++
  found.chars += value.length
  found.values.push(value)
}

/**
 * The inline media of a parsed body, read only where each API puts it, so that no text is ever taken
 * for an image (a tool result or a prompt that quotes a data URL stays text):
 * - Ollama: `images` of `/api/generate`, `messages[].images` of `/api/chat`;
 * - OpenAI chat: `messages[].content[]` parts `image_url.url` and `file.file_data`;
 * - OpenAI Responses: `input[].content[]` parts `image_url` and `file_data`, also in a
 *   `function_call_output`'s `output[]`;
 * - Anthropic: `messages[].content[]` blocks with a base64 `source`, also inside a `tool_result` or
 *   a document whose `source` is content blocks.
 */
export function findInlineMedia(body: Json, raw?: Uint8Array): InlineMedia {
  const found: Found = { count: 0, chars: 0, values: [] }
  addImages(found, body.images)
  for (const list of [body.messages, body.input]) {
    if (!Array.isArray(list)) continue
    for (const item of list) {
      if (!isRecord(item)) continue
      addImages(found, item.images)
      if (Array.isArray(item.content)) for (const part of item.content) addPart(found, part, true)
      // The Responses API's function_call_output may return content parts, images included.
      if (Array.isArray(item.output)) for (const part of item.output) addPart(found, part, false)
    }
  }
  if (found.count === 0) return NO_MEDIA
  return {
    count: found.count,
    chars: found.chars,
    spans: raw === undefined ? [] : spansIn(raw, found.values),
  }
}

/** Media shorter than this count as text in a cached prefix: too small to matter there. */
const MIN_LOCATED_CHARS = 1_024
/** Media looked for per body at most: each search may scan the rest of the body. */
const MAX_LOCATED = 32

/**
 * Where each value lies in `raw`, as disjoint [start, end) pairs in body order. Values come in body
 * order, and two images may begin alike (files of one format and size share their headers), so each
 * is looked for after the one before. A value not found there (its JSON escapes a character, as
 * PHP's json_encode does with `/`) ends the search: the body's writer escapes the others alike, and
 * each miss scans the rest of the body, up to 64 MiB. So the search reads the body about twice at
 * most; the values not located count as their bytes in a cached prefix. At most `MAX_LOCATED` values
 * of `MIN_LOCATED_CHARS` or more are looked for.
 */
function spansIn(raw: Uint8Array, values: readonly string[]): number[] {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.length)
  const spans: number[] = []
  let after = 0
  let searches = 0
  for (const value of values) {
    if (value.length < MIN_LOCATED_CHARS) continue
    if (searches++ === MAX_LOCATED) break
    const start = bytes.indexOf(value.slice(0, 256), after, 'latin1')
    if (start < 0) break
    spans.push(start, start + value.length)
    after = start + value.length
  }
  return spans
}

/**
 * Prompt tokens in the body's first `(i + 1)` prefix blocks of `blockBytes`, for each of its `blocks`
 * blocks: text at `BYTES_PER_TOKEN`, each inline item at `IMAGE_PROMPT_TOKENS` spread over its bytes.
 */
export function prefixTokens(
  spans: readonly number[],
  blocks: number,
  blockBytes: number,
  bytesPerToken: number,
): Float64Array {
  const tokens = new Float64Array(blocks)
  // One sweep: spans are disjoint and in order, so at most one is cut by a block's end.
  let next = 0
  let wholeBytes = 0
  let wholeTokens = 0
  for (let block = 0; block < blocks; block++) {
    const end = (block + 1) * blockBytes
    while (next < spans.length && (spans[next + 1] as number) <= end) {
      wholeBytes += (spans[next + 1] as number) - (spans[next] as number)
      wholeTokens += IMAGE_PROMPT_TOKENS
      next += 2
    }
    let cutBytes = 0
    let cutTokens = 0
    const from = spans[next]
    if (from !== undefined && from < end) {
      cutBytes = end - from
      cutTokens = (IMAGE_PROMPT_TOKENS * cutBytes) / ((spans[next + 1] as number) - from)
    }
    tokens[block] = (end - wholeBytes - cutBytes) / bytesPerToken + wholeTokens + cutTokens
  }
  return tokens
}

/** Ollama's `images`: base64 strings by definition. */
function addImages(found: Found, images: unknown): void {
  if (!Array.isArray(images)) return
  for (const image of images) if (typeof image === 'string') note(found, image)
}

function addPart(found: Found, part: unknown, mayHoldToolResult: boolean): void {
  if (!isRecord(part)) return
  const imageUrl = isRecord(part.image_url) ? part.image_url.url : part.image_url
  if (isBase64DataUrl(imageUrl)) note(found, imageUrl)
  const fileData = isRecord(part.file) ? part.file.file_data : part.file_data
  if (isBase64DataUrl(fileData)) note(found, fileData)
  const source = part.source
  if (isRecord(source) && source.type === 'base64' && typeof source.data === 'string') {
    note(found, source.data)
  }
  // An Anthropic document given as content blocks, images among them.
  if (isRecord(source) && source.type === 'content' && Array.isArray(source.content)) {
    for (const inner of source.content) addPart(found, inner, false)
  }
  if (mayHoldToolResult && part.type === 'tool_result' && Array.isArray(part.content)) {
    for (const inner of part.content) addPart(found, inner, false)
  }
}
