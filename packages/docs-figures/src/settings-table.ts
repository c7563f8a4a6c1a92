/**
 * The table of an app's settings for docs/configuration.md, read from its zod config schema: names from
 * the schema's keys, type and default from the schema itself, the description from `.describe()` or
 * the JSDoc line above the key in the schema's source.
 */
import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { z } from 'zod'
import { table } from './format.js'

export interface SettingNames {
  /** Environment variable, or null when the setting has none. */
  readonly env: string | null
  /** Flag without `--`, or null when the setting has none (a secret). */
  readonly flag: string | null
  /** What the default column says when the schema has no default (`unset`, `3 × PUSH_INTERVAL_MS`). */
  readonly unsetText?: string
  /** A flag the app's parser takes without a value (`--insecure`); the type column says so. */
  readonly isSwitch?: boolean
}

export interface SettingsTableInput {
  readonly schema: z.ZodObject
  /** The file that declares the schema, for the JSDoc comments. */
  readonly sourceFile: string
  /** The schema's variable name in that file. */
  readonly schemaName: string
  readonly names: (key: string) => SettingNames
  /** Rewrites a description (a JSDoc that repeats the setting's names, say). */
  readonly describe?: (text: string) => string
}

export function renderSettingsTable(input: SettingsTableInput): string {
  const comments = readPropertyComments(input.sourceFile, input.schemaName)
  const rows = Object.entries(input.schema.shape).map(([key, setting]) => {
    const names = input.names(key)
    const description = (setting as z.ZodType).description ?? comments.get(key)
    if (description === undefined) {
      throw new Error(
        `${input.sourceFile}: ${input.schemaName}.${key} has neither .describe() nor a JSDoc line`,
      )
    }
    return [
      names.env === null ? '' : `\`${names.env}\``,
      names.flag === null ? '' : `\`--${names.flag}\``,
      typeText(setting as z.ZodType, names),
      defaultText(setting as z.ZodType, names),
      (input.describe ?? ((text) => text))(description),
    ]
  })
  return table(['variable', 'flag', 'type', 'default', 'meaning'], rows)
}

interface JsonSchemaFragment {
  type?: string
  enum?: unknown[]
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
}

function typeText(setting: z.ZodType, names: SettingNames): string {
  const json = z.toJSONSchema(setting, { io: 'input', unrepresentable: 'any' }) as JsonSchemaFragment
  if (json.enum !== undefined) return json.enum.map((value) => `\`${String(value)}\``).join(', ')
  const parsedDefault = setting.safeParse(undefined)
  if (json.type === 'boolean' || (parsedDefault.success && typeof parsedDefault.data === 'boolean')) {
    return names.isSwitch === true ? 'flag, no value' : '`true`, `false`'
  }
  if (json.type === 'integer' || json.type === 'number') return `${json.type} ${rangeText(json)}`.trim()
  return json.type ?? 'any'
}

function rangeText({ minimum, maximum, exclusiveMinimum }: JsonSchemaFragment): string {
  const hasMax = maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER
  if (exclusiveMinimum !== undefined)
    return hasMax ? `> ${exclusiveMinimum}, ≤ ${maximum}` : `> ${exclusiveMinimum}`
  if (minimum !== undefined && hasMax) return `${minimum}–${maximum}`
  if (minimum !== undefined) return `≥ ${minimum}`
  return hasMax ? `≤ ${maximum}` : ''
}

function defaultText(setting: z.ZodType, names: SettingNames): string {
  const parsed = setting.safeParse(undefined)
  if (!parsed.success || parsed.data === undefined) return names.unsetText ?? 'unset'
  // A switch is given or not, never set to a value: `--help` says off too.
  if (names.isSwitch === true) return parsed.data === true ? 'on' : 'off'
  const value = Array.isArray(parsed.data) ? parsed.data.join(',') : String(parsed.data)
  return `\`${value}\``
}

/** The JSDoc text above each key of `const <schemaName> = z.…({ … })`, joined into one line. */
export function readPropertyComments(sourceFile: string, schemaName: string): Map<string, string> {
  const source = ts.createSourceFile(
    sourceFile,
    readFileSync(sourceFile, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  )
  const comments = new Map<string, string>()
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText(source) === schemaName && node.initializer) {
      const objectLiteral = findObjectLiteral(node.initializer)
      for (const property of objectLiteral?.properties ?? []) {
        const docs = ts.getJSDocCommentsAndTags(property).filter(ts.isJSDoc)
        const text = docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join(' ')
        if (property.name !== undefined && text.trim() !== '') {
          comments.set(property.name.getText(source), text.replace(/\s+/g, ' ').trim())
        }
      }
      return
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return comments
}

function findObjectLiteral(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(node)) return node
  return ts.forEachChild(node, findObjectLiteral)
}
