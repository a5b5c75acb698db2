import { z } from 'zod';
import { type ConfigKeyMetadata, secretKeyReplacements } from './config-schema.js';

/** One configuration problem, in words an operator can act on. */
export interface ConfigProblem {
  /** Dotted key at fault (`providers.stripe.apiKeyEnvironmentVariable`); `''` for the whole file. */
  readonly key: string;
  /** What is wrong (`is missing`, `is invalid: ...`). */
  readonly problem: string;
  /** What to do. */
  readonly fix: string;
}

/** The value at `path` in `input`, or `undefined`. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** Strips optional, default, nullable and pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The schema of `segment` inside `schema`, given the input at that level (for discriminated unions). */
function childSchema(schema: z.ZodType, segment: string, inputHere: unknown): z.ZodType | undefined {
  const unwrapped = unwrap(schema);
  if (unwrapped instanceof z.ZodObject) return unwrapped.shape[segment] as z.ZodType | undefined;
  if (unwrapped instanceof z.ZodDiscriminatedUnion) {
    const discriminator = unwrapped.def.discriminator;
    const wanted = typeof inputHere === 'object' && inputHere !== null ? (inputHere as Record<string, unknown>)[discriminator] : undefined;
    for (const option of unwrapped.def.options as readonly z.ZodType[]) {
      const shape = unwrap(option);
      if (!(shape instanceof z.ZodObject)) continue;
      const literal = shape.shape[discriminator] as z.ZodType | undefined;
      if (literal instanceof z.ZodLiteral && literal.def.values.includes(wanted as never)) return shape.shape[segment] as z.ZodType | undefined;
    }
    return undefined;
  }
  return undefined;
}

/** The `fix` metadata of a schema, looking through wrappers. */
function fixOf(schema: z.ZodType): string | undefined {
  let current: z.ZodType | undefined = schema;
  while (current !== undefined) {
    const metadata = current.meta() as ConfigKeyMetadata | undefined;
    if (metadata?.fix !== undefined) return metadata.fix;
    const next = unwrapOnce(current);
    current = next === current ? undefined : next;
  }
  return undefined;
}

/** One wrapper less, or the schema itself. */
function unwrapOnce(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) return schema.unwrap() as z.ZodType;
  return schema;
}

/** The most specific fix along `path` (the key's own, else its closest parent's). */
function fixAlong(root: z.ZodType, path: readonly string[], input: unknown): string | undefined {
  let current: z.ZodType | undefined = root;
  let found = fixOf(root);
  for (let index = 0; index < path.length && current !== undefined; index += 1) {
    current = childSchema(current, path[index] as string, valueAt(input, path.slice(0, index)));
    if (current !== undefined) found = fixOf(current) ?? found;
  }
  return found;
}

/** The keys a strict object section accepts, for an "unknown key" hint. */
function knownKeys(root: z.ZodType, path: readonly string[], input: unknown): readonly string[] {
  let current: z.ZodType | undefined = root;
  for (let index = 0; index < path.length && current !== undefined; index += 1) {
    current = childSchema(current, path[index] as string, valueAt(input, path.slice(0, index)));
  }
  if (current === undefined) return [];
  const unwrapped = unwrap(current);
  if (unwrapped instanceof z.ZodObject) return Object.keys(unwrapped.shape);
  if (unwrapped instanceof z.ZodDiscriminatedUnion) {
    const here = valueAt(input, path);
    for (const option of unwrapped.def.options as readonly z.ZodType[]) {
      const shape = unwrap(option);
      const discriminator = unwrapped.def.discriminator;
      const literal = shape instanceof z.ZodObject ? (shape.shape[discriminator] as z.ZodType | undefined) : undefined;
      const wanted = typeof here === 'object' && here !== null ? (here as Record<string, unknown>)[discriminator] : undefined;
      if (shape instanceof z.ZodObject && literal instanceof z.ZodLiteral && literal.def.values.includes(wanted as never)) return Object.keys(shape.shape);
    }
  }
  return [];
}

/** Joins a path into a dotted key. */
function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * Turns zod's issues into operator-facing problems: each names the key, says what is wrong and
 * how to fix it. Values are never echoed (a misplaced secret must not end up in a terminal log).
 */
export function describeConfigIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const unknownKey of issue.keys) {
        const key = dotted([...path, unknownKey]);
        const replacement = secretKeyReplacements[unknownKey];
        if (replacement !== undefined) {
          problems.push({
            key,
            problem: 'holds a secret, and secrets never go in the configuration file',
            fix: `remove it and set ${dotted([...path, replacement])} to the name of an environment variable that holds the value`,
          });
        } else {
          const known = knownKeys(schema, path, input);
          problems.push({
            key,
            problem: 'is not a known key',
            fix: known.length > 0 ? `remove it or correct the spelling (known keys here: ${known.join(', ')})` : 'remove it',
          });
        }
      }
      continue;
    }
    const key = dotted(path);
    const value = valueAt(input, issue.path);
    const fix = fixAlong(schema, path, input) ?? 'see the configuration reference in the @paymigrate/cli README';
    if (issue.code === 'invalid_type' && value === undefined) {
      problems.push({ key, problem: 'is missing', fix });
    } else if (issue.code === 'custom') {
      problems.push({ key, problem: issue.message, fix });
    } else if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
      const discriminatorPath = path.at(-1) === issue.discriminator ? path : [...path, issue.discriminator];
      const discriminatorKey = dotted(discriminatorPath);
      const found = valueAt(input, discriminatorPath);
      problems.push({ key: discriminatorKey, problem: found === undefined ? 'is missing' : 'is not one of the accepted values', fix });
    } else {
      problems.push({ key, problem: `is invalid (${issue.message})`, fix });
    }
  }
  return problems;
}
