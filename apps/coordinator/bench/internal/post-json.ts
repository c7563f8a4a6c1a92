/** The one request shape every bench client sends: a JSON POST through an undici Pool. */
import type { Dispatcher, Pool } from 'undici'

/** POSTs `body` (a JSON string, or a value to serialize) to `path`; the caller consumes the body. */
export function postJson(pool: Pool, path: string, body: unknown): Promise<Dispatcher.ResponseData> {
  return pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}
