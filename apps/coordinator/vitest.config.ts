import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Many files start real servers and child processes (the built coordinator, agents, HAProxy's
    // peers): on a loaded 2-core CI machine a process can take seconds to start. No test asserts on time.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
