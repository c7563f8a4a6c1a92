import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { defaultAdvertiseUrl } from './advertise-url.js'

const entry = (address: string, internal: boolean): NetworkInterfaceInfo => ({
  address,
  internal,
  family: 'IPv4',
  netmask: '255.255.255.0',
  mac: '00:00:00:00:00:00',
  cidr: `${address}/24`,
})

describe('defaultAdvertiseUrl', () => {
  const interfaces = { lo: [entry('127.0.0.1', true)], eth0: [entry('10.0.0.7', false)] }

  it('puts the runtime’s port on the primary non-loopback IPv4', () => {
    expect(defaultAdvertiseUrl('http://127.0.0.1:11434', interfaces)).toBe('http://10.0.0.7:11434')
    expect(defaultAdvertiseUrl('http://localhost:8000/', interfaces)).toBe('http://10.0.0.7:8000')
  })

  it('keeps an explicit non-loopback host, and spells out the default port', () => {
    expect(defaultAdvertiseUrl('http://gpu-7.lan', interfaces)).toBe('http://gpu-7.lan:80')
  })

  it('keeps the path of a runtime behind a reverse proxy under a prefix', () => {
    expect(defaultAdvertiseUrl('http://127.0.0.1:8080/ollama', interfaces)).toBe(
      'http://10.0.0.7:8080/ollama',
    )
    expect(defaultAdvertiseUrl('https://gpu-7.lan/llm/vllm/', interfaces)).toBe(
      'https://gpu-7.lan:443/llm/vllm',
    )
  })

  it('falls back to the runtime URL on a host without an external IPv4', () => {
    expect(defaultAdvertiseUrl('http://127.0.0.1:11434', { lo: [entry('127.0.0.1', true)] })).toBe(
      'http://127.0.0.1:11434',
    )
  })
})
