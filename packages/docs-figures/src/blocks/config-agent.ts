/** docs/configuration.md: the agent's settings, from its ConfigSchema (`.describe()` texts). */
import { fileURLToPath } from 'node:url'
import {
  ConfigSchema,
  ENV_ONLY_SETTINGS,
  flagName,
  type SettingName,
} from '../../../../apps/agent/src/config.js'
import { fromCode } from '../block.js'
import { renderSettingsTable } from '../settings-table.js'

export default fromCode(() =>
  renderSettingsTable({
    schema: ConfigSchema,
    sourceFile: fileURLToPath(new URL('../../../../apps/agent/src/config.ts', import.meta.url)),
    schemaName: 'ConfigSchema',
    names: (key) => ({
      env: key,
      flag: ENV_ONLY_SETTINGS.has(key as SettingName) ? null : flagName(key as SettingName),
    }),
  }),
)
