/** The built bin, exec'd directly as the agent does (no `node` in front): exit codes, streams, loops. */
import { execFile, spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { capturePath } from './helpers/fixtures.js'

/** turbo builds the package before its tests (`test` depends on `build`). */
const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))

async function run(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, args, {
      env: { PATH: process.env.PATH, ...env },
    })
    return { stdout, stderr, code: 0 }
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number }
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code }
  }
}

const H100 = { FAKE_NVSMI_XML: capturePath('gpuid__h100.xml') }
const T4 = { FAKE_NVSMI_XML: capturePath('telegraf__tesla-t4.xml') }

describe('fake-nvidia-smi, the built bin', () => {
  it('is what the package exports as FAKE_NVIDIA_SMI_BIN, executable by everyone', async () => {
    const built: { FAKE_NVIDIA_SMI_BIN?: unknown } = await import(
      pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href
    )
    expect(built.FAKE_NVIDIA_SMI_BIN).toBe(BIN)
    expect(statSync(BIN).mode & 0o111).toBe(0o111)
    expect(readFileSync(BIN, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/)
  })

  it('prints the capture byte for byte for -q -x', async () => {
    expect(await run(['-q', '-x'], H100)).toEqual({
      stdout: readFileSync(capturePath('gpuid__h100.xml'), 'utf8'),
      stderr: '',
      code: 0,
    })
  })

  it('answers --query-gpu', async () => {
    const result = await run(['--query-gpu=name,memory.total', '--format=csv'], T4)
    expect(result).toEqual({ stdout: 'name, memory.total [MiB]\nTesla T4, 15360 MiB\n', stderr: '', code: 0 })
  })

  it.each([
    [{}, 9, /^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\./],
    [{ ...T4, FAKE_NVSMI_FAILURE: 'driver-not-loaded' }, 9, /couldn't communicate/],
    [
      { ...T4, FAKE_NVSMI_FAILURE: 'version-mismatch' },
      18,
      /^Failed to initialize NVML: Driver\/library version mismatch\nNVML library version: 515\.105\.01\n$/,
    ],
    [{ ...T4, FAKE_NVSMI_FAILURE: 'no-devices' }, 6, /^No devices were found\n$/],
  ])('fails as nvidia-smi does (%o → exit %i, on stdout)', async (env, code, stdout) => {
    const result = await run(['-L'], env)
    expect(result.code).toBe(code)
    expect(result.stdout).toMatch(stdout)
    expect(result.stderr).toBe('')
  })

  it('still prints the data with a corrupted infoROM, then the warning, exit 14', async () => {
    const result = await run(['--query-gpu=index,name', '--format=csv,noheader'], {
      ...T4,
      FAKE_NVSMI_FAILURE: 'inforom-corrupted',
    })
    expect(result).toEqual({
      stdout: '0, Tesla T4\nWARNING: infoROM is corrupted at gpu 0000:00:1E.0\n',
      stderr: '',
      code: 14,
    })
  })

  it('rejects an unknown field with exit 2 and nvidia-smi’s message', async () => {
    expect(await run(['--query-gpu=index,clocks.applications.sm', '--format=csv'], T4)).toEqual({
      stdout: 'Field "clocks.applications.sm" is not a valid field to query.\n\n',
      stderr: '',
      code: 2,
    })
  })

  it.each([
    [
      ['-L'],
      { FAKE_NVSMI_XML: '/nonexistent/capture.xml' },
      /FAKE_NVSMI_XML=\/nonexistent\/capture\.xml: ENOENT/,
    ],
    [
      ['-L'],
      { ...T4, FAKE_NVSMI_FAILURE: 'melted' },
      /FAKE_NVSMI_FAILURE=melted is not one of driver-not-loaded/,
    ],
    [['-L'], { FAKE_NVSMI_XML: capturePath('INDEX.md') }, /FAKE_NVSMI_XML=.*INDEX\.md: invalid XML/],
    [['--query-gpu=index'], T4, /--query-gpu needs --format/],
  ])('names the bad setting or argument on stderr, exit 2 (%j)', async (args, env, stderr) => {
    const result = await run(args, env)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(stderr)
  })

  it('repeats the rows every -lms period until killed, with the header once', async () => {
    const child = spawn(BIN, ['--query-gpu=index,memory.used', '--format=csv', '-lms', '20'], {
      env: { PATH: process.env.PATH, ...T4 },
    })
    let output = ''
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.split('\n').length > 4) resolve()
      })
    })
    const exited = new Promise((resolve) => child.on('exit', (_, signal) => resolve(signal)))
    child.kill('SIGTERM')
    expect(await exited).toBe('SIGTERM')
    const lines = output.split('\n').slice(0, 4)
    expect(lines).toEqual(['index, memory.used [MiB]', '0, 1032 MiB', '0, 1032 MiB', '0, 1032 MiB'])
  })
})
