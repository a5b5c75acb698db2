/**
 * A value of Stripe's form encoding once decoded: a string, or nested objects and arrays of them.
 * Stripe sends `metadata[merchant_reference]=x`, `expand[0]=latest_charge` and
 * `payment_method_options[card][mit_exemption][network_transaction_id]=...`; the fake decodes them
 * into the nested JSON shape the API documents.
 */
export type StripeFormValue = string | StripeFormValue[] | StripeFormObject;

/** A decoded form object. */
export interface StripeFormObject {
  [key: string]: StripeFormValue;
}

/** A decoded form that could not be read (two spellings of one key disagree about its shape). */
export class StripeFormDecodingError extends Error {
  /** The form key that could not be placed. */
  readonly key: string;

  constructor(key: string) {
    super(`Invalid array or object syntax in parameter '${key}'.`);
    this.name = 'StripeFormDecodingError';
    this.key = key;
  }
}

/** Splits `a[b][0][]` into `['a', 'b', '0', '']`; `undefined` when the brackets do not balance. */
function keySegments(key: string): string[] | undefined {
  const opening = key.indexOf('[');
  if (opening === -1) return [key];
  const segments = [key.slice(0, opening)];
  const rest = key.slice(opening);
  const pattern = /\[([^[\]]*)\]/gy;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(rest)) !== null) {
    segments.push(match[1] ?? '');
    consumed = pattern.lastIndex;
  }
  return consumed === rest.length && segments[0] !== '' ? segments : undefined;
}

/** A container for the segment that follows: an array for `[]` or `[0]`, else an object. */
function containerFor(nextSegment: string): StripeFormValue {
  return nextSegment === '' || /^[0-9]+$/.test(nextSegment) ? [] : {};
}

function place(target: StripeFormObject | StripeFormValue[], segments: readonly string[], value: string, key: string): void {
  const [segment, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(target)) {
    if (segment !== '' && !/^[0-9]+$/.test(segment)) throw new StripeFormDecodingError(key);
    const index = segment === '' ? target.length : Number(segment);
    if (rest.length === 0) {
      if (target[index] !== undefined && typeof target[index] !== 'string') throw new StripeFormDecodingError(key);
      target[index] = value;
      return;
    }
    const existing = target[index];
    const child = existing ?? containerFor(rest[0] as string);
    if (typeof child === 'string') throw new StripeFormDecodingError(key);
    target[index] = child;
    place(child, rest, value, key);
    return;
  }
  if (rest.length === 0) {
    if (segment in target && typeof target[segment] !== 'string') throw new StripeFormDecodingError(key);
    target[segment] = value;
    return;
  }
  const existing = Object.hasOwn(target, segment) ? target[segment] : undefined;
  const child = existing ?? containerFor(rest[0] as string);
  if (typeof child === 'string') throw new StripeFormDecodingError(key);
  target[segment] = child;
  place(child, rest, value, key);
}

/**
 * Decodes Stripe's bracketed form encoding (request bodies and query strings) into nested values.
 * Arrays come back dense (holes left by sparse indices are dropped).
 *
 * @throws StripeFormDecodingError when one key is used both as a value and as a container.
 * @example decodeStripeForm('metadata[order]=1&expand[0]=latest_charge') // { metadata: { order: '1' }, expand: ['latest_charge'] }
 */
export function decodeStripeForm(encoded: string | URLSearchParams): StripeFormObject {
  const parameters = typeof encoded === 'string' ? new URLSearchParams(encoded) : encoded;
  const decoded: StripeFormObject = {};
  for (const [key, value] of parameters) {
    const segments = keySegments(key);
    if (segments === undefined) throw new StripeFormDecodingError(key);
    place(decoded, segments, value, key);
  }
  return compact(decoded) as StripeFormObject;
}

function compact(value: StripeFormValue): StripeFormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, compact(member)]));
}

/** The canonical JSON of a decoded form (keys sorted): equal parameters give equal text. */
export function canonicalFormJson(value: StripeFormValue): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: StripeFormValue): StripeFormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(sortKeys);
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key] as StripeFormValue)]),
  );
}

/** Every dotted path of a decoded form's leaves, e.g. `payment_method_options[card][network]`. */
export function formLeafPaths(value: StripeFormValue, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix];
  const entries = Array.isArray(value) ? value.map((member, index) => [String(index), member] as const) : Object.entries(value);
  return entries.flatMap(([key, member]) => formLeafPaths(member, prefix === '' ? key : `${prefix}[${key}]`));
}
