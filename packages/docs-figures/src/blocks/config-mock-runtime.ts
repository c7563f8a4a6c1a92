/** docs/configuration.md: the mock runtime's settings, from its ConfigSchema and SETTINGS. */
import { fileURLToPath } from 'node:url'
import { ConfigSchema, SETTINGS } from '../../../../packages/mock-runtime/src/config.js'
import { fromCode } from '../block.js'
import { renderSettingsTable } from '../settings-table.js'

export default fromCode(() =>
  renderSettingsTable({
    schema: ConfigSchema,
    sourceFile: fileURLToPath(new URL('../../../../packages/mock-runtime/src/config.ts', import.meta.url)),
    schemaName: 'ConfigSchema',
    names: (key) => {
      const { env, flag } = SETTINGS[key as keyof typeof SETTINGS]
      return { env, flag }
    },
    // The JSDoc lines start with the names (`--kind` / `MOCK_RUNTIME_KIND`: …), which have their own columns.
    describe: (text) => text.replace(/^`--[a-z-]+` \/ `[A-Z_]+`:?\s*/, '') || '',
  }),
)
