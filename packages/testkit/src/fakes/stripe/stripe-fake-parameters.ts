import { invalidInteger, invalidRequest, unknownParameter } from './stripe-fake-errors.js';
import { formLeafPaths, type StripeFormObject, type StripeFormValue } from './stripe-fake-form.js';

/**
 * Readers for decoded Stripe parameters that answer the way Stripe does: an unknown parameter, a
 * non-integer amount or a bad enum value is a 400 `invalid_request_error` naming the parameter.
 */

/** Refuses any top-level parameter not in `allowed` (Stripe: `parameter_unknown`). */
export function checkParameters(params: StripeFormObject, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(params)) {
    if (!allowed.has(key)) throw unknownParameter(key);
  }
}

/** Refuses any leaf below `params[key]` whose path (`key[a][b]`) is not in `allowedPaths`. */
export function checkNestedParameters(params: StripeFormObject, key: string, allowedPaths: ReadonlySet<string>): void {
  const value = params[key];
  if (value === undefined) return;
  if (typeof value === 'string') throw invalidRequest(`Invalid object: ${key} must be a hash.`, { param: key });
  for (const path of formLeafPaths(value, key)) {
    if (!allowedPaths.has(path)) throw unknownParameter(path);
  }
}

/** A string parameter, or `undefined` when absent. */
export function stringParameter(params: StripeFormObject, key: string): string | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${key} must be a string.`, { param: key });
  return value;
}

/** An integer parameter, or `undefined` when absent. */
export function integerParameter(params: StripeFormObject, key: string): number | undefined {
  const value = stringParameter(params, key);
  if (value === undefined) return undefined;
  if (!/^-?[0-9]{1,15}$/.test(value)) throw invalidInteger(key, value);
  return Number(value);
}

/** A boolean parameter (`true` / `false`), or `undefined` when absent. */
export function booleanParameter(params: StripeFormObject, key: string): boolean | undefined {
  const value = stringParameter(params, key);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalidRequest(`Invalid boolean: ${value}`, { param: key });
  return value === 'true';
}

/** An enum parameter, or `undefined` when absent. */
export function enumParameter<Value extends string>(params: StripeFormObject, key: string, values: readonly Value[]): Value | undefined {
  const value = stringParameter(params, key);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw invalidRequest(`Invalid ${key}: must be one of ${values.join(', ')}`, { param: key });
  }
  return value as Value;
}

/** `expand[]` as a list of paths. */
export function expandParameter(params: StripeFormObject): string[] {
  const value = params['expand'];
  if (value === undefined) return [];
  const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (values === undefined || values.some((item) => typeof item !== 'string')) {
    throw invalidRequest('Invalid array: expand must be a list of strings.', { param: 'expand' });
  }
  return values as string[];
}

/** A list parameter of strings (`payment_method_types[]`). */
export function stringListParameter(params: StripeFormObject, key: string): string[] | undefined {
  const value: StripeFormValue | undefined = params[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidRequest(`Invalid array: ${key} must be a list of strings.`, { param: key });
  }
  return value as string[];
}

/**
 * `metadata[...]` as a record, with Stripe's limits: at most 50 keys, keys up to 40 characters,
 * values up to 500 characters. An empty value unsets the key (returned as `''`).
 */
export function metadataParameter(params: StripeFormObject): Record<string, string> | undefined {
  const value = params['metadata'];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('Invalid object: metadata must be a hash.', { param: 'metadata' });
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalidRequest('You can specify up to 50 metadata keys.', { param: 'metadata' });
  const metadata: Record<string, string> = {};
  for (const [key, member] of entries) {
    if (typeof member !== 'string') throw invalidRequest(`Invalid metadata value for ${key}: must be a string.`, { param: `metadata[${key}]` });
    if (key.length > 40) throw invalidRequest(`Metadata keys can have up to 40 characters; '${key.slice(0, 40)}…' is longer.`, { param: 'metadata' });
    if (member.length > 500) throw invalidRequest(`Metadata values can have up to 500 characters; the value of ${key} is longer.`, { param: `metadata[${key}]` });
    metadata[key] = member;
  }
  return metadata;
}

/** Merges metadata the way Stripe updates it: an empty value removes the key. */
export function mergeMetadata(current: Record<string, string>, update: Readonly<Record<string, string>> | undefined): void {
  if (update === undefined) return;
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete current[key];
    else current[key] = value;
  }
}
