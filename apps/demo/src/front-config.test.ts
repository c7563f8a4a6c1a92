import { describe, expect, it } from 'vitest'
import { renderFrontConfig } from './front-config.js'
import { REPO_ROOT } from './repo-paths.js'

const addresses = (count: number) => ({
  listen: '127.0.0.1:9999',
  coordinators: Array.from({ length: count }, (_, index) => `127.0.0.1:${7001 + index}`),
})

describe('the shipped front configurations with real addresses', () => {
  for (const kind of ['haproxy', 'nginx'] as const) {
    for (const count of [1, 2, 3]) {
      it(`${kind} with ${count} coordinator(s): one server line each, the listen address, nothing left over`, () => {
        const text = renderFrontConfig(REPO_ROOT, kind, addresses(count))
        for (const address of addresses(count).coordinators) expect(text).toContain(address)
        expect(text).toContain('127.0.0.1:9999')
        expect(text).not.toContain('#llm-fleet-dropped-server#')
        const serverLines = text
          .split('\n')
          .filter((line) => /^\s*server\s.*\b\d+\.\d+\.\d+\.\d+:\d+/.test(line))
        expect(serverLines).toHaveLength(count)
      })
    }
  }
})
