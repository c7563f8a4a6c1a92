/**
 * The agent's coded errors. Most failures are typed outcomes (nvidia-smi, coordinator, runtime);
 * these are the few that stop the process, each with a stable `code` (STYLE 2.10).
 */

export class AgentError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** A setting is invalid; `issues` holds one line per problem, each starting with the setting's name. */
export class ConfigError extends AgentError {
  readonly issues: readonly string[]

  constructor(issues: readonly string[]) {
    super('FLEET_CONFIG_INVALID', issues.join('; '))
    this.issues = issues
  }
}
