/**
 * The one rule the CLIs share for where a setting's value comes from, beside `formatZodError` and
 * `listenProblem`: its flag when given, else its environment variable.
 */

/** A setting's value and where it came from, or why the command line is wrong. */
export type SettingValue =
  | { readonly from: 'flag'; readonly value: string | boolean }
  | { readonly from: 'env'; readonly value: string }
  | { readonly from: 'unset' }
  | { readonly from: 'blank-flag'; readonly problem: string }

/**
 * Reads one setting: `flagValues[flag]` (parseArgs' values: a string, or true for a switch), else
 * `envValue`. A blank variable (`PORT=` in an EnvironmentFile) counts as unset, as in shells'
 * `${VAR:-default}`; a blank flag is a mistake, since zod's number coercion would read it as 0.
 */
export function readSettingValue(
  flag: string | null,
  flagValues: Readonly<Record<string, unknown>>,
  envValue: string | undefined,
): SettingValue {
  const flagValue = flag === null ? undefined : flagValues[flag]
  if (typeof flagValue === 'string' && flagValue.trim() === '') {
    return { from: 'blank-flag', problem: `--${flag}: needs a value` }
  }
  if (typeof flagValue === 'string' || typeof flagValue === 'boolean')
    return { from: 'flag', value: flagValue }
  if (envValue !== undefined && envValue.trim() !== '') return { from: 'env', value: envValue }
  return { from: 'unset' }
}
