import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Child-process tests start the built agent and real servers; a 2-core CI box is slow.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
