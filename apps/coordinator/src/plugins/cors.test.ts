import { describe, expect, it } from 'vitest'
import { DEFAULT_ALLOWED_ORIGINS, originMatcher } from './cors.js'

describe('originMatcher', () => {
  it("allows Ollama's default origins and no other", () => {
    const isAllowed = originMatcher(DEFAULT_ALLOWED_ORIGINS)
    for (const origin of [
      'http://localhost',
      'http://localhost:3000',
      'https://127.0.0.1:8443',
      'http://0.0.0.0:8080',
      'chrome-extension://jfgfiigpkhlkbnfnbobbkinehhfdhndo',
      'moz-extension://5c1ea4b1-1a2b-4c3d-9e8f-0123456789ab',
      'vscode-webview://1a2b3c',
      'tauri://localhost',
    ]) {
      expect(isAllowed(origin), origin).toBe(true)
    }
    for (const origin of [
      'https://localhost.attacker.example',
      'http://localhostx:3000',
      'https://attacker.example',
      'http://127.0.0.2:3000',
      'null',
    ]) {
      expect(isAllowed(origin), origin).toBe(false)
    }
  })

  it('compares as a browser writes an origin: lower case, no default port', () => {
    const isAllowed = originMatcher(['https://Chat.Example.com:443', 'http://10.0.0.5:*'])
    expect(isAllowed('https://chat.example.com')).toBe(true)
    expect(isAllowed('https://chat.example.com:8443')).toBe(false)
    expect(isAllowed('http://10.0.0.5:7860')).toBe(true)
    expect(originMatcher(['*'])('https://anything.example')).toBe(true)
  })
})
