import { describe, expect, it } from 'vitest'
import { DEFAULT_ALLOWED_ORIGINS, isBrowserApiPath, originMatcher } from './cors.js'

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
      // Not origins a browser can send, but a port's * is digits and a host's * host characters.
      'http://localhost:3000.attacker.example',
      'http://localhost:3000@attacker.example',
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

  it('a host * stays within the host', () => {
    const isAllowed = originMatcher(['https://*.example.com'])
    expect(isAllowed('https://chat.eu.example.com')).toBe(true)
    expect(isAllowed('https://attacker.example/x.example.com')).toBe(false)
    expect(isAllowed('https://attacker.example:1.example.com')).toBe(false)
  })
})

describe('isBrowserApiPath', () => {
  it('is the inference APIs and their model lists, not the agent API, the dashboard or the metrics', () => {
    for (const path of [
      '/',
      '/v1/chat/completions',
      '/v1/models',
      '/api/chat',
      '/api/tags',
      '/api/version',
    ]) {
      expect(isBrowserApiPath(path), path).toBe(true)
    }
    for (const path of [
      '/api/agents',
      '/api/agents/abc/metrics',
      '/api/route?model=x',
      '/dashboard',
      '/metrics',
      '/healthz',
    ]) {
      expect(isBrowserApiPath(path), path).toBe(false)
    }
  })
})
