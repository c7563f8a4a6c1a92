import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each file runs a whole fleet of processes; on a 2-core machine two fleets at once only slow
    // each other down, so files run one after the other.
    fileParallelism: false,
    // Generous: a loaded CI machine starts Node processes slowly. No test asserts on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
