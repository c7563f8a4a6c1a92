/** docs/configuration.md: the coordinator's settings, from its ConfigSchema and SETTINGS. */
import { fileURLToPath } from 'node:url'
import { type ConfigKey, ConfigSchema, isSwitch, SETTINGS } from '../../../../apps/coordinator/src/config.js'
import { fromCode } from '../block.js'
import { renderSettingsTable } from '../settings-table.js'

export default fromCode(() =>
  renderSettingsTable({
    schema: ConfigSchema,
    sourceFile: fileURLToPath(new URL('../../../../apps/coordinator/src/config.ts', import.meta.url)),
    schemaName: 'ConfigSchema',
    names: (key) => {
      const { env, flag, defaultText } = SETTINGS[key as ConfigKey]
      return { env, flag, unsetText: defaultText, isSwitch: isSwitch(key as ConfigKey) }
    },
  }),
)
