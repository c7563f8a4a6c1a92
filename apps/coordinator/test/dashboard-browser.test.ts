/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core against a real
 * coordinator (port 0) with fake runtimes behind it. Screenshots for review go to
 * `test-output/dashboard*.png`. Without `/usr/bin/chromium` the test fails and says how to install it
 * (`scripts/setup.sh --browser`): a dashboard nobody looked at must not pass as tested.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { AgentMetrics, AgentRegistration, GpuDevice } from '@llm-fleet/types'
import { type Browser, chromium, type Page } from 'playwright-core'
import { type Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeRuntime } from './helpers/fake-runtime.js'
import { type ProxyHarness, postJson, startProxyHarness } from './helpers/proxy-harness.js'
import { createClient, MODEL } from './helpers/start-coordinator.js'
import { metrics, registration } from './helpers/wire-samples.js'

const CHROMIUM = '/usr/bin/chromium'
const OUTPUT_DIR = fileURLToPath(new URL('../test-output/', import.meta.url))
const TIMEOUT_MS = 60_000

let browser: Browser

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard's browser tests need Debian's chromium (bash scripts/setup.sh --browser, or apt-get install chromium)`,
    )
  }
  mkdirSync(OUTPUT_DIR, { recursive: true })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}, TIMEOUT_MS)

afterAll(async () => {
  await browser?.close()
})

/** A page that records every console error and uncaught exception. */
async function openDashboard(harness: ProxyHarness, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(`${harness.url}/dashboard`)
  return { page, errors, close: () => context.close() }
}

function gpu(index: number, name: string, vramTotalMiB: number): GpuDevice {
  return {
    index,
    uuid: `GPU-${name.replace(/\W/g, '')}-${index}`,
    name,
    vramTotalMiB,
    vramUsedMiB: 1_000,
    utilizationPct: 0,
    temperatureC: 35,
    powerDrawW: 60,
    computeCapability: '8.9',
    maxSmClockMHz: 2_520,
    migEnabled: false,
  }
}

async function register(client: Agent, harness: ProxyHarness, body: AgentRegistration): Promise<string> {
  const response = await postJson(client, `${harness.url}/api/agents`, body)
  expect(response.statusCode).toBe(201)
  return ((await response.body.json()) as { agentId: string }).agentId
}

async function push(client: Agent, harness: ProxyHarness, body: AgentMetrics): Promise<void> {
  const response = await postJson(client, `${harness.url}/api/agents/${body.agentId}/metrics`, body)
  expect(response.statusCode).toBe(204)
  await response.body.dump()
}

function liveGpus(
  devices: readonly GpuDevice[],
  utilizationPct: number,
  vramUsedMiB: number,
): AgentMetrics['gpus'] {
  return devices.map((device) => ({
    index: device.index,
    uuid: device.uuid,
    vramTotalMiB: device.vramTotalMiB,
    vramUsedMiB,
    utilizationPct,
    temperatureC: 40 + utilizationPct / 3,
    powerDrawW: 80 + utilizationPct * 3,
  }))
}

function nodeRow(page: Page, name: string) {
  return page.locator('#nodes tbody tr', { has: page.locator('.node-name', { hasText: name }) })
}

describe('dashboard in chromium', () => {
  it(
    'shows how to add an agent while the fleet is empty, then nodes with their GPUs, metric changes and routed requests live',
    async () => {
      const runtime = await startFakeRuntime({ name: 'runtime-a' })
      const harness = await startProxyHarness()
      const client = createClient()
      const { page, errors, close } = await openDashboard(harness)

      const command = page.locator('#agent-command')
      await command.waitFor({ state: 'visible' })
      expect(await command.textContent()).toBe(
        `COORDINATOR_URL=${harness.url} RUNTIME_URL=http://127.0.0.1:11434 llm-fleet-agent`,
      )
      await page.screenshot({ path: `${OUTPUT_DIR}dashboard-empty.png` })

      const a100 = [gpu(0, 'NVIDIA A100-SXM4-80GB', 81_920)]
      const idA = await register(
        client,
        harness,
        registration({ hostname: 'gpu-a100-01', gpus: a100, runtime: { kind: 'ollama', url: runtime.url } }),
      )
      const row = nodeRow(page, 'gpu-a100-01')
      await row.waitFor()
      expect(await row.textContent()).toContain('NVIDIA A100-SXM4-80GB')
      expect(await command.isVisible()).toBe(false)

      await push(client, harness, { ...metrics(idA), gpus: liveGpus(a100, 88, 60_000), cpuUsage: 63 })
      await expect.poll(() => row.locator('.gpu-util').textContent()).toContain('util 88 %')
      await expect.poll(() => row.locator('.cpu').textContent()).toBe('63 %')
      expect(await row.locator('.gpu-vram').textContent()).toBe('59 / 80 GiB')

      const answer = await postJson(client, `${harness.url}/v1/chat/completions`, {
        model: MODEL,
        messages: [{ role: 'user', content: 'hello' }],
      })
      expect(answer.statusCode).toBe(200)
      await answer.body.text()
      const decision = page.locator('#decisions tbody tr').first()
      await expect.poll(() => decision.locator('.model').textContent()).toBe(MODEL)
      expect(await decision.locator('.node').textContent()).toBe('gpu-a100-01')
      expect(await decision.locator('.reason').textContent()).toMatch(/: est \d/)

      expect(errors).toEqual([])
      await close()
    },
    TIMEOUT_MS,
  )

  it(
    'renders what agents send as text, never as markup',
    async () => {
      const harness = await startProxyHarness()
      const client = createClient()
      const { page, errors, close } = await openDashboard(harness)
      const hostile = '<img src=x onerror="window.__xss=1">'
      await register(
        client,
        harness,
        registration({
          hostname: hostile,
          gpus: [gpu(0, '<script>window.__xss=2</script>', 24_576)],
          models: ['<b>bold</b>'],
          runtime: { kind: 'openai', url: 'http://10.0.0.9:8000/"><svg onload=alert(1)>' },
        }),
      )
      const row = nodeRow(page, hostile)
      await row.waitFor()
      expect(await row.locator('.node-name').textContent()).toBe(hostile)
      expect(await row.locator('.gpu-name').textContent()).toBe('<script>window.__xss=2</script>')
      expect(await row.locator('img, script, svg, b').count()).toBe(0)
      expect(await page.evaluate('window.__xss')).toBeUndefined()
      expect(errors).toEqual([])
      await close()
    },
    TIMEOUT_MS,
  )

  it(
    'asks for an API key when API_KEYS is set, then shows the fleet',
    async () => {
      const harness = await startProxyHarness({ apiKeys: ['s3cret'] })
      const { page, errors, close } = await openDashboard(harness)
      await page.locator('#login').waitFor({ state: 'visible' })
      expect(await page.locator('#fleet').isVisible()).toBe(false)
      await page.locator('#login-key').fill('s3cret')
      await page.locator('#login-form button').click()
      await page.locator('#agent-command').waitFor({ state: 'visible' })
      await expect.poll(() => page.locator('#connection').textContent()).toBe('live')
      expect(errors).toEqual([])
      await close()
    },
    TIMEOUT_MS,
  )

  it(
    'looks right with a mixed fleet and traffic, on a laptop and on a phone (screenshots for review)',
    async () => {
      const harness = await startProxyHarness()
      const client = createClient()
      const fleet: {
        name: string
        gpus: GpuDevice[]
        score: number
        load: number
        kind: 'ollama' | 'openai'
      }[] = [
        {
          name: 'gpu-h100-01',
          gpus: [gpu(0, 'NVIDIA H100 80GB HBM3', 81_559)],
          score: 434,
          load: 91,
          kind: 'openai',
        },
        {
          name: 'gpu-4090x2',
          gpus: [gpu(0, 'NVIDIA GeForce RTX 4090', 24_564), gpu(1, 'NVIDIA GeForce RTX 4090', 24_564)],
          score: 234.6,
          load: 47,
          kind: 'ollama',
        },
        {
          name: 'gpu-l4-eu-west',
          gpus: [gpu(0, 'NVIDIA L4', 23_034)],
          score: 42.1,
          load: 12,
          kind: 'ollama',
        },
      ]
      for (const node of fleet) {
        const runtime = await startFakeRuntime({ name: node.name })
        const id = await register(
          client,
          harness,
          registration({
            hostname: node.name,
            gpus: node.gpus,
            computeScore: node.score,
            runtime: { kind: node.kind, url: runtime.url },
          }),
        )
        const vramUsedMiB = Math.round((node.gpus[0]?.vramTotalMiB ?? 0) * (0.3 + node.load / 160))
        await push(client, harness, {
          ...metrics(id),
          cpuUsage: node.load / 2,
          memoryUsage: 30 + node.load / 3,
          gpus: liveGpus(node.gpus, node.load, vramUsedMiB),
        })
      }
      for (let i = 0; i < 12; i++) {
        const answer = await postJson(client, `${harness.url}/v1/chat/completions`, {
          model: i % 3 === 0 ? 'qwen2.5:32b' : MODEL,
          messages: [],
        })
        await answer.body.text()
      }
      const unknown = await postJson(client, `${harness.url}/v1/chat/completions`, {
        model: 'mistral:7b',
        messages: [],
      })
      await unknown.body.text()

      const laptop = await openDashboard(harness)
      await expect.poll(() => laptop.page.locator('#nodes tbody tr').count()).toBe(3)
      await expect.poll(() => laptop.page.locator('#decisions tbody tr').count()).toBe(13)
      await laptop.page.screenshot({ path: `${OUTPUT_DIR}dashboard.png`, fullPage: true })
      expect(laptop.errors).toEqual([])
      await laptop.close()

      const phone = await openDashboard(harness, { width: 390, height: 844 })
      await expect.poll(() => phone.page.locator('#nodes tbody tr').count()).toBe(3)
      // Under 700 px the table header is gone and each row is a card.
      expect(await phone.page.locator('#nodes thead').isVisible()).toBe(false)
      const bodyWidth = await phone.page.evaluate('document.documentElement.scrollWidth')
      expect(bodyWidth).toBeLessThanOrEqual(390)
      await phone.page.screenshot({ path: `${OUTPUT_DIR}dashboard-phone.png` })
      await phone.page.screenshot({ path: `${OUTPUT_DIR}dashboard-phone-full.png`, fullPage: true })
      expect(phone.errors).toEqual([])
      await phone.close()
      await request(`${harness.url}/healthz`).then((response) => response.body.dump())
    },
    TIMEOUT_MS,
  )
})
