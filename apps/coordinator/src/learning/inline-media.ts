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
}

export const NO_MEDIA: InlineMedia = { count: 0, chars: 0 }

/** OpenAI's `image_url` / `input_image` and any other data URL: `data:<type>;base64,…`. */
const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+;base64,/

/**
 * The inline media anywhere in a parsed JSON body, by where each API puts it (walked without
 * recursion, however deep): the strings of an `images` array (Ollama), a `data` beside
 * `type: "base64"` (Anthropic's `source`), and base64 data URLs (OpenAI). Text is never taken for an
 * image, however long or however few spaces it has.
 */
export function findInlineMedia(body: unknown): InlineMedia {
  let count = 0
  let chars = 0
  const note = (value: string) => {
    count++
    chars += value.length
  }
  const pending: unknown[] = [body]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value === 'string') {
      if (value.startsWith('data:') && DATA_URL.test(value)) note(value)
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item)
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>
      for (const [key, item] of Object.entries(record)) {
        if (key === 'images' && Array.isArray(item)) {
          for (const image of item) if (typeof image === 'string') note(image)
        } else if (key === 'data' && record.type === 'base64' && typeof item === 'string') note(item)
        else pending.push(item)
      }
    }
  }
  return count === 0 ? NO_MEDIA : { count, chars }
}
