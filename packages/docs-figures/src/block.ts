/**
 * What a file in `src/blocks/` exports by default: how to render one named block. The file name is
 * the block's name (`select-table.ts` renders `<!-- figures:select-table -->`), so adding a block is one
 * new file there plus the markers in a markdown file, then `pnpm docs:figures`.
 */
import type { z } from 'zod'

export interface Block {
  /** The results file under `bench/results/` this block reads, or null when it renders code (a schema, a table). */
  readonly results: string | null
  /** Markdown, from the results file's parsed JSON (`undefined` when `results` is null). */
  render(json: unknown): string
}

/**
 * A block of figures from `bench/results/<file>`. The schema checks the file's shape, so a bench that
 * changes its output fails with the field that moved instead of rendering `undefined`.
 */
export function fromResults<Schema extends z.ZodType>(
  file: string,
  schema: Schema,
  render: (results: z.output<Schema>) => string,
): Block {
  return {
    results: file,
    render(json) {
      const parsed = schema.safeParse(json)
      if (!parsed.success) {
        const issues = parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
        )
        throw new Error(
          `bench/results/${file} does not have the shape this block reads:\n  ${issues.join('\n  ')}`,
        )
      }
      return render(parsed.data)
    },
  }
}

/** A block rendered from the code itself (a config schema, a score table). */
export function fromCode(render: () => string): Block {
  return { results: null, render: () => render() }
}
