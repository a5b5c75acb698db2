import { z } from 'zod';
import { ConfigurationError } from '../errors/configuration-error.js';

/** Metadata an option schema may carry with `.meta({ fix })`: how to fix a bad value. */
export interface OptionMetadata {
  /** What the operator should do when the option is missing or wrong. */
  readonly fix?: string;
}

/**
 * Validates options once, at construction, and returns the parsed value. The first problem becomes
 * a `ConfigurationError` that names the option (`<component>.<path>`) and says how to fix it
 * (the `fix` in the failing schema's `.meta()`, or a generic hint).
 */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  context: { readonly component: string },
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = issue.path.map(String);
  const option = [context.component, ...path].join('.');
  const fix = fixFor(schema, path) ?? `pass a valid '${path.join('.') || context.component}' (see the ${context.component} options documentation)`;
  // The zod error is not kept as the cause: its issues could echo secret values into logs.
  throw new ConfigurationError({ option, problem: describeIssue(issue, valueAt(input, issue.path)), fix });
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type' && value === undefined) return 'is missing';
  return `is invalid: ${issue.message}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function fixFor(schema: z.ZodType, path: readonly string[]): string | undefined {
  let current: z.ZodType | undefined = schema;
  let found = metadataFix(current);
  for (const segment of path) {
    current = childSchema(current, segment);
    if (current === undefined) break;
    found = metadataFix(current) ?? found;
  }
  return current === undefined ? found : (metadataFix(current) ?? found);
}

function metadataFix(schema: z.ZodType): string | undefined {
  const metadata = schema.meta() as OptionMetadata | undefined;
  return metadata?.fix;
}

function childSchema(schema: z.ZodType, segment: string): z.ZodType | undefined {
  const unwrapped = unwrap(schema);
  if (unwrapped instanceof z.ZodObject) return unwrapped.shape[segment] as z.ZodType | undefined;
  if (unwrapped instanceof z.ZodArray) return unwrapped.element as z.ZodType;
  return undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/**
 * Resolves a secret from an explicit option or an environment variable, lazily and once. A missing
 * secret names both the option and the variable.
 */
export function resolveSecret(input: {
  readonly option: string;
  readonly environmentVariable: string;
  readonly value?: string | undefined;
  readonly environment?: Readonly<Record<string, string | undefined>>;
}): string {
  const environment = input.environment ?? process.env;
  const value = input.value ?? environment[input.environmentVariable];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError({
      option: input.option,
      problem: 'is missing',
      fix: `pass '${input.option}' or set the environment variable ${input.environmentVariable}`,
    });
  }
  return value;
}
