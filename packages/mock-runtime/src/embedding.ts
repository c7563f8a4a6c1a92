/** Deterministic unit-length embeddings: the same text always maps to the same vector. */
import { hashString, seededRandom } from './output-length.js'

/** Dimensions of every embedding (all-MiniLM-sized, so responses stay small). */
export const EMBEDDING_DIMENSIONS = 384

/** The embedding of `text`: seeded by its hash, normalised to length 1. */
export function embedText(text: string): number[] {
  const random = seededRandom(hashString(text))
  const vector = new Array<number>(EMBEDDING_DIMENSIONS)
  let sumOfSquares = 0
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) {
    const value = random() * 2 - 1
    vector[i] = value
    sumOfSquares += value * value
  }
  const norm = Math.sqrt(sumOfSquares) || 1
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) vector[i] = (vector[i] ?? 0) / norm
  return vector
}

/** OpenAI's `encoding_format: "base64"`: little-endian float32s, base64-encoded. */
export function embeddingToBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64')
}
