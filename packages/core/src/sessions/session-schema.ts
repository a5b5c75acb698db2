import { z } from 'zod';
import { isCurrencyCode } from '../money/currency.js';
import { Money, type MoneyJson } from '../money/money.js';
import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';

/** The schema version every migrated session is written in. */
export const currentSessionSchemaVersion = 2;

/** The steps of a checkout, in order. */
export const checkoutSteps = ['address', 'shipping', 'payment', 'review'] as const;

/** A step of a checkout. */
export type CheckoutStep = (typeof checkoutSteps)[number];

/** One line of a session's cart. */
export interface SessionCartLine {
  /** Product variant or SKU. */
  readonly sku: string;
  /** Quantity, a positive integer. */
  readonly quantity: number;
  /** Unit price in the cart's currency (minor units as a decimal string). */
  readonly unitPrice: MoneyJson;
  /** Display title. */
  readonly title?: string | undefined;
}

/** A session's cart. */
export interface SessionCart {
  /** ISO 4217 code of every line's price. */
  readonly currency: string;
  /** Lines, in the order the customer added them. */
  readonly lines: readonly SessionCartLine[];
}

/** Where a customer is in the checkout, and the payment it started. */
export interface SessionCheckout {
  /** The checkout step the customer reached. */
  readonly step: CheckoutStep;
  /** Our payment id, once a payment was started. */
  readonly paymentId?: string | undefined;
  /**
   * The provider that holds the payment. After a migration it is the provider the Transaction
   * State Manager's journal pins the payment to (see `PaymentLocator`), never a re-routed one.
   */
  readonly provider?: string | undefined;
  /** The provider's reference of the payment. */
  readonly providerReference?: string | undefined;
}

/**
 * A customer session, schema version 2: what the Session Migration Controller writes to the
 * target store. Fields it does not know are kept as they are (a newer application may have added
 * them); only the known ones are validated.
 */
export interface SessionV2 {
  /** Always 2. */
  readonly schemaVersion: 2;
  /** The customer's platform id; absent for guests. */
  readonly customerId?: string | undefined;
  /** The platform cart backing this session, when known: what a damaged session is rebuilt from. */
  readonly cartId?: string | undefined;
  /** The cart. */
  readonly cart: SessionCart;
  /** Display preferences (language, currency display, ...), as text. */
  readonly preferences: Readonly<Record<string, string>>;
  /** Checkout progress, once the customer started checking out. */
  readonly checkout?: SessionCheckout | undefined;
  /** When the session last changed, epoch milliseconds. */
  readonly updatedAt: number;
  /** Fields of newer application versions, kept as they are. */
  readonly [field: string]: unknown;
}

/** The current session shape. */
export type Session = SessionV2;

/**
 * Why a serialized session could not be read:
 * - `card-data`: it holds a card number, track data or a security code (never migrated, never kept);
 * - `invalid-json`: the text is not JSON;
 * - `not-an-object`: JSON, but not an object;
 * - `unsupported-schema-version`: a `schemaVersion` this code has no schema or upgrader for;
 * - `schema-invalid`: a field is missing or out of its schema (in its own version or after upgrading).
 */
export type SessionParseFailureKind = 'card-data' | 'invalid-json' | 'not-an-object' | 'unsupported-schema-version' | 'schema-invalid';

/** Every parse failure kind, for reports and metrics. */
export const sessionParseFailureKinds: readonly SessionParseFailureKind[] = Object.freeze([
  'card-data',
  'invalid-json',
  'not-an-object',
  'unsupported-schema-version',
  'schema-invalid',
]);

/** A typed parse failure. `reason` names locations and rules, never values. */
export interface SessionParseFailure {
  /** What went wrong. */
  readonly kind: SessionParseFailureKind;
  /** Why, for the operator: paths and rules, no session data. */
  readonly reason: string;
}

/** The result of `parseSession`. */
export type SessionParseResult =
  | {
      /** Parsed. */
      readonly ok: true;
      /** The session, upgraded to the current schema. */
      readonly session: SessionV2;
      /** The schema version the text was written in. */
      readonly fromVersion: number;
    }
  | {
      /** Not parsed. */
      readonly ok: false;
      /** Why. */
      readonly failure: SessionParseFailure;
    };

/** Options of `parseSession`. */
export interface ParseSessionOptions {
  /**
   * `updatedAt` of an upgraded session whose old version did not record one. Pass a stable
   * instant (the controller passes the migration's start), so that transforming the same text
   * twice gives the same session and the same checksum.
   * @default 0
   */
  readonly fallbackUpdatedAt?: number | undefined;
}

const text = z.string().min(1);

const currencyCodeSchema = z.string().refine(isCurrencyCode, { message: 'must be an ISO 4217 currency code' });

const moneyJsonSchema = z.looseObject({
  minorUnits: z.string().regex(/^[0-9]+$/, { message: 'must be a non-negative decimal integer string of minor units' }),
  currency: currencyCodeSchema,
});

const lineSchema = z.looseObject({
  sku: text,
  quantity: z.int().positive(),
  unitPrice: moneyJsonSchema,
  title: z.string().optional(),
});

const checkoutSchema = z.looseObject({
  step: z.enum(checkoutSteps),
  paymentId: text.optional(),
  provider: text.optional(),
  providerReference: text.optional(),
});

const sessionV2Schema = z.looseObject({
  schemaVersion: z.literal(2),
  customerId: text.optional(),
  cartId: text.optional(),
  cart: z
    .looseObject({ currency: currencyCodeSchema, lines: z.array(lineSchema) })
    .superRefine((cart, context) => {
      for (const [index, line] of cart.lines.entries()) {
        if (line.unitPrice.currency !== cart.currency) {
          context.addIssue({ code: 'custom', path: ['lines', index, 'unitPrice', 'currency'], message: 'must be the cart currency' });
        }
      }
    }),
  preferences: z.record(z.string(), z.string()),
  checkout: checkoutSchema.optional(),
  updatedAt: z.int().nonnegative(),
});

const sessionV1Schema = z.looseObject({
  schemaVersion: z.literal(1).optional(),
  customerId: text.optional(),
  cartId: text.optional(),
  currency: currencyCodeSchema,
  cartItems: z.array(
    z.looseObject({
      sku: text,
      qty: z.int().positive(),
      /** A decimal amount in the cart currency: `"12.34"` or `12.34`. */
      price: z.union([z.string(), z.number()]),
      name: z.string().optional(),
    }),
  ),
  prefs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  checkoutStep: z.enum(checkoutSteps).optional(),
  paymentId: text.optional(),
  updatedAt: z.int().nonnegative().optional(),
});

type SessionV1 = z.output<typeof sessionV1Schema>;

/** The fields v2 defines: a v1 session's own extra field of the same name could not be carried over. */
const v2FieldNames: ReadonlySet<string> = new Set(Object.keys(sessionV2Schema.shape));

/** Thrown inside an upgrader for a value that cannot be carried over; becomes a `schema-invalid` failure. */
class UpgradeIssue extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(problem);
  }
}

function withoutUndefined<Value extends Record<string, unknown>>(value: Value): Value {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Value;
}

/** v1 (`{ cartItems: [{ sku, qty, price, name }], currency, prefs, checkoutStep, paymentId }`) to v2. */
function upgradeFromV1(session: SessionV1, options: ParseSessionOptions): unknown {
  const { schemaVersion: _version, customerId, cartId, currency, cartItems, prefs, checkoutStep, paymentId, updatedAt, ...extras } = session;
  const collision = Object.keys(extras).find((field) => v2FieldNames.has(field));
  if (collision !== undefined) throw new UpgradeIssue(`$.${collision}`, 'is a field of v2; a v1 session cannot carry it');
  const lines = cartItems.map(({ sku, qty, price, name, ...lineExtras }, index) => {
    let unitPrice: MoneyJson;
    try {
      unitPrice = Money.fromDecimal(typeof price === 'number' ? String(price) : price, currency).toJSON();
    } catch (error) {
      throw new UpgradeIssue(`$.cartItems[${index}].price`, (error as Error).message);
    }
    return withoutUndefined({ ...lineExtras, sku, quantity: qty, unitPrice, title: name });
  });
  const step = checkoutStep ?? (paymentId === undefined ? undefined : 'payment');
  return withoutUndefined({
    ...extras,
    schemaVersion: 2,
    customerId,
    cartId,
    cart: { currency, lines },
    preferences: Object.fromEntries(Object.entries(prefs ?? {}).map(([name, value]) => [name, String(value)])),
    checkout: step === undefined ? undefined : withoutUndefined({ step, paymentId }),
    updatedAt: updatedAt ?? options.fallbackUpdatedAt ?? 0,
  });
}

/** One step of the upgrade chain: the schema of a version and how to lift it to the next one. */
interface SchemaStep {
  readonly schema: z.ZodType;
  readonly upgrade: ((value: never, options: ParseSessionOptions) => unknown) | undefined;
}

/** Schemas by version; each upgrader lifts its version to the next. Add v3 here, with a v2 upgrader. */
const schemaSteps: ReadonlyMap<number, SchemaStep> = new Map<number, SchemaStep>([
  [1, { schema: sessionV1Schema, upgrade: upgradeFromV1 }],
  [2, { schema: sessionV2Schema, upgrade: undefined }],
]);

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((joined, segment) => (typeof segment === 'number' ? `${joined}[${segment}]` : `${joined}.${String(segment)}`), '$');
}

function describeIssues(version: number, issues: readonly z.core.$ZodIssue[]): string {
  const listed = issues.slice(0, 3).map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `schema v${version}: ${listed.join('; ')}${more}`;
}

function detectVersion(value: Record<string, unknown>): number | undefined {
  const declared = value['schemaVersion'];
  if (declared === undefined) return 'cartItems' in value ? 1 : undefined;
  return typeof declared === 'number' && schemaSteps.has(declared) ? declared : undefined;
}

function failure(kind: SessionParseFailureKind, reason: string): SessionParseResult {
  return { ok: false, failure: { kind, reason } };
}

/**
 * Reads a serialized session of any supported schema version and returns it in the current one
 * (v2), or a typed failure. Steps: the raw text is scanned for cardholder data first (a session
 * holding any is refused whole: `card-data`), then parsed as JSON, its version detected
 * (`schemaVersion`; a text without one but with `cartItems` is v1), validated against its own
 * version's schema and lifted version by version to v2, which validates the result.
 *
 * Pure and deterministic: the same text and options give the same session.
 *
 * @example
 * const result = parseSession('{"cartItems":[{"sku":"A","qty":1,"price":"9.50"}],"currency":"EUR"}');
 * if (result.ok) result.session.cart.lines[0].unitPrice; // { minorUnits: '950', currency: 'EUR' }
 */
export function parseSession(raw: string, options: ParseSessionOptions = {}): SessionParseResult {
  const findings = findSensitiveDataInText(raw);
  if (findings.length > 0) {
    const kinds = [...new Set(findings.map((finding) => finding.kind))].join(', ');
    return failure('card-data', `the session holds cardholder data (${kinds}); it is never migrated or kept`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return failure('invalid-json', `not valid JSON (${raw.length} characters)`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failure('not-an-object', `JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, not an object`);
  }
  const fromVersion = detectVersion(value as Record<string, unknown>);
  if (fromVersion === undefined) {
    const declared = (value as Record<string, unknown>)['schemaVersion'];
    return failure(
      'unsupported-schema-version',
      declared === undefined
        ? 'no schemaVersion, and not a v1 session (no cartItems)'
        : `schemaVersion ${JSON.stringify(declared)} is not one of ${[...schemaSteps.keys()].join(', ')}`,
    );
  }
  let current: unknown = value;
  for (let version = fromVersion; ; version += 1) {
    const step = schemaSteps.get(version) as SchemaStep;
    const parsed = step.schema.safeParse(current);
    if (!parsed.success) return failure('schema-invalid', describeIssues(version, parsed.error.issues));
    if (step.upgrade === undefined) return { ok: true, session: parsed.data as SessionV2, fromVersion };
    try {
      current = step.upgrade(parsed.data as never, options);
    } catch (error) {
      const issue = error as UpgradeIssue;
      return failure('schema-invalid', `schema v${version}: ${issue.path}: ${issue.message}`);
    }
  }
}
