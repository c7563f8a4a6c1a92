/** docs/mock-runtime.md: the mock runtime's GPU speed profiles, from its GPU_PROFILES and speed model. */
import { GPU_PROFILES, PROFILE_IDS } from '../../../../packages/mock-runtime/src/profiles.js'
import { aggregateTokensPerS } from '../../../../packages/mock-runtime/src/speed-model.js'
import { fromCode } from '../block.js'
import { grouped, table } from '../format.js'

export default fromCode(() =>
  table(
    [
      'profile',
      'GPU',
      'bandwidth GB/s',
      'tokens/s (1 request)',
      'TTFT ms',
      'slots',
      'α',
      'tokens/s at full batch',
    ],
    PROFILE_IDS.map((id) => {
      const profile = GPU_PROFILES[id]
      return [
        `\`${id}\``,
        profile.gpuName,
        grouped(profile.memoryBandwidthGBs),
        grouped(profile.singleTokensPerS),
        grouped(profile.ttftMs),
        String(profile.slots),
        String(profile.batchingExponent),
        grouped(aggregateTokensPerS(profile, profile.slots)),
      ]
    }),
    'llrrrrrr',
  ),
)
