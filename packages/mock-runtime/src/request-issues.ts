/** Renders zod issues of a request body as one line naming each field (the mock's 400 message). */
import type { z } from 'zod'

/** e.g. `model: Invalid input: expected string, received undefined; stream: ...` */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? '(body)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ')
}
