import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Money } from '@paymigrate/core';
import { type PayPalFake, payPalFakeRoutes, type PayPalFakeRouteId, payPalTestPaymentTokens } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPalTestSubject, newCustomerId, newKey, newReference, server } from './__fixtures__/paypal-test-environment.js';

/** The official specs, beside the repository (CI copies shared/ next to it as ../shared). */
const specsDirectory = new URL('../../../../shared/specs/', import.meta.url);
const specFiles = ['paypal-orders-v2.json', 'paypal-payments-v2.json', 'paypal-vault-v3.json'] as const;
const specsPresent = specFiles.every((file) => existsSync(fileURLToPath(new URL(file, specsDirectory))));

type JsonSchema = Readonly<Record<string, unknown>>;
type Spec = JsonSchema;

/** Which spec operation each fake route implements. Routes absent here are not in the specs. */
const operations: Partial<Record<PayPalFakeRouteId, { readonly file: (typeof specFiles)[number]; readonly path: string; readonly method: string }>> = {
  [payPalFakeRoutes.createOrder]: { file: 'paypal-orders-v2.json', path: '/v2/checkout/orders', method: 'post' },
  [payPalFakeRoutes.getOrder]: { file: 'paypal-orders-v2.json', path: '/v2/checkout/orders/{id}', method: 'get' },
  [payPalFakeRoutes.authorizeOrder]: { file: 'paypal-orders-v2.json', path: '/v2/checkout/orders/{id}/authorize', method: 'post' },
  [payPalFakeRoutes.captureOrder]: { file: 'paypal-orders-v2.json', path: '/v2/checkout/orders/{id}/capture', method: 'post' },
  [payPalFakeRoutes.captureAuthorization]: { file: 'paypal-payments-v2.json', path: '/v2/payments/authorizations/{authorization_id}/capture', method: 'post' },
  [payPalFakeRoutes.voidAuthorization]: { file: 'paypal-payments-v2.json', path: '/v2/payments/authorizations/{authorization_id}/void', method: 'post' },
  [payPalFakeRoutes.getCapture]: { file: 'paypal-payments-v2.json', path: '/v2/payments/captures/{capture_id}', method: 'get' },
  [payPalFakeRoutes.refundCapture]: { file: 'paypal-payments-v2.json', path: '/v2/payments/captures/{capture_id}/refund', method: 'post' },
  [payPalFakeRoutes.listPaymentTokens]: { file: 'paypal-vault-v3.json', path: '/v3/vault/payment-tokens', method: 'get' },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows `$ref`s inside one spec file. */
function resolve(spec: Spec, schema: unknown): JsonSchema {
  let current: unknown = schema;
  for (let hops = 0; isRecord(current) && typeof current.$ref === 'string'; hops += 1) {
    if (hops > 50) throw new Error(`$ref loop at ${current.$ref}`);
    current = current.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, segment) => (isRecord(node) ? node[segment] : undefined), spec);
  }
  if (!isRecord(current)) throw new Error('unresolvable schema');
  return current;
}

/** Everything several schemas allow for one value: properties, required names, array items. */
interface Shape {
  readonly properties: Map<string, JsonSchema[]>;
  readonly required: Set<string>;
  readonly items: JsonSchema[];
  open: boolean;
  nullable: boolean;
  declared: boolean;
}

/** Merges a schema into the shape: allOf strictly (required kept), anyOf/oneOf loosely (properties only). */
function collect(spec: Spec, schema: unknown, shape: Shape, strict: boolean): void {
  const resolved = resolve(spec, schema);
  if (resolved.nullable === true) shape.nullable = true;
  for (const part of Array.isArray(resolved.allOf) ? resolved.allOf : []) collect(spec, part, shape, strict);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alternatives = resolved[key];
    if (Array.isArray(alternatives)) for (const part of alternatives) collect(spec, part, shape, false);
  }
  if (isRecord(resolved.properties)) {
    shape.declared = true;
    for (const [name, property] of Object.entries(resolved.properties)) {
      shape.properties.set(name, [...(shape.properties.get(name) ?? []), property as JsonSchema]);
    }
  }
  if (strict && Array.isArray(resolved.required)) for (const name of resolved.required) shape.required.add(String(name));
  if (resolved.additionalProperties === true || isRecord(resolved.additionalProperties)) shape.open = true;
  if (resolved.items !== undefined) shape.items.push(resolved.items as JsonSchema);
}

/** Checks a value against schemas: no undeclared property, every required one present. */
function check(spec: Spec, value: unknown, schemas: readonly JsonSchema[], path: string, problems: string[]): void {
  const shape: Shape = { properties: new Map(), required: new Set(), items: [], open: false, nullable: false, declared: false };
  for (const schema of schemas) collect(spec, schema, shape, true);
  if (value === null) {
    if (!shape.nullable && shape.declared) problems.push(`${path} is null but not nullable`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => check(spec, item, shape.items, `${path}[${index}]`, problems));
    return;
  }
  if (!isRecord(value) || !shape.declared) return;
  for (const [name, member] of Object.entries(value)) {
    const memberSchemas = shape.properties.get(name);
    if (memberSchemas === undefined) {
      if (!shape.open) problems.push(`${path}.${name} is not defined by the spec`);
      continue;
    }
    check(spec, member, memberSchemas, `${path}.${name}`, problems);
  }
  for (const name of shape.required) if (!(name in value)) problems.push(`${path}.${name} is required by the spec but missing`);
}

/** The JSON schema the spec gives for one operation's answer with this status (or `default`). */
function responseSchema(spec: Spec, path: string, method: string, status: number): JsonSchema | undefined {
  const paths = spec.paths as Record<string, Record<string, JsonSchema>>;
  const responses = paths[path]?.[method]?.responses as Record<string, unknown> | undefined;
  const response = responses?.[String(status)] ?? responses?.default;
  if (response === undefined) return undefined;
  const content = resolve(spec, response).content as Record<string, { schema?: JsonSchema }> | undefined;
  return content?.['application/json']?.schema;
}

/** Drives the fake through every route the adapter uses, successes and refusals. */
async function exercise(fake: PayPalFake, gateway: ReturnType<typeof createPayPalTestSubject>['gateway']): Promise<void> {
  const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');
  const visa = payPalTestPaymentTokens.visa.vaultId;
  const ignore = () => undefined;
  const manual = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(10_000), paymentMethodToken: visa });
  await gateway.capture({ idempotencyKey: newKey(), providerReference: manual.providerReference, amount: usd(4_000), finalCapture: false });
  await gateway.capture({ idempotencyKey: newKey(), providerReference: manual.providerReference, amount: usd(7_000) }).catch(ignore);
  await gateway.capture({ idempotencyKey: newKey(), providerReference: manual.providerReference, amount: usd(6_000) });
  await gateway.refund({ idempotencyKey: newKey(), providerReference: manual.providerReference, amount: usd(1_000), merchantReference: newReference() });
  await gateway.refund({ idempotencyKey: newKey(), providerReference: manual.providerReference, amount: usd(6_000) }).catch(ignore);
  const toVoid = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(500), paymentMethodToken: visa });
  const voidInput = { idempotencyKey: newKey(), providerReference: toVoid.providerReference };
  await gateway.cancel(voidInput);
  await gateway.cancel(voidInput);
  await gateway.capture({ idempotencyKey: newKey(), providerReference: toVoid.providerReference, amount: usd(500) }).catch(ignore);
  await gateway.cancel({ idempotencyKey: newKey(), providerReference: manual.providerReference }).catch(ignore);
  await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.doNotHonor.vaultId }).catch(ignore);
  await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.declinedByProcessor.vaultId }).catch(ignore);
  await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.expiredCard.vaultId, captureMethod: 'automatic' }).catch(ignore);
  for (const captureMethod of ['manual', 'automatic'] as const) {
    const input = { idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(300), paymentMethodToken: payPalTestPaymentTokens.threeDSecure.vaultId, captureMethod };
    const challenged = await gateway.authorize(input);
    fake.completePayerAction(challenged.providerReference);
    await gateway.authorize(input);
  }
  const automatic = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(800), paymentMethodToken: visa, captureMethod: 'automatic' });
  await gateway.refund({ idempotencyKey: newKey(), providerReference: automatic.providerReference, amount: usd(800) });
  await gateway.refund({ idempotencyKey: newKey(), providerReference: automatic.providerReference, amount: usd(1) }).catch(ignore);
  const card = fake.vaultCard({ customerId: newCustomerId(), testToken: 'mastercard' });
  await gateway.listStoredPaymentMethods({ customerReference: card.customerId });
  await gateway.listStoredPaymentMethods({ customerReference: 'short' }).catch(ignore);
  await gateway.chargeStoredPaymentMethod({
    idempotencyKey: newKey(),
    merchantReference: newReference(),
    amount: usd(999),
    customerReference: card.customerId,
    paymentMethodToken: card.vaultId,
    networkTransactionId: card.networkTransactionId,
    reason: 'unscheduled',
  });
  await gateway.retrieve({ providerReference: '9XY000000ZZZZZZZZZ' }).catch(ignore);
  for (const webhook of fake.takeWebhooks().filter((candidate) => candidate.event.event_type === 'PAYMENT.CAPTURE.REFUNDED')) {
    await gateway.verifyWebhook(webhook.request);
  }
}

describe('the PayPal fake answers in the shapes of PayPal\'s official OpenAPI specs', () => {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it.skipIf(!specsPresent)(
    specsPresent ? 'every JSON body served has only properties the spec defines, and every required one' : 'skipped: /work/shared/specs (../shared/specs in CI) is missing',
    async () => {
      const specs = Object.fromEntries(specFiles.map((file) => [file, JSON.parse(readFileSync(fileURLToPath(new URL(file, specsDirectory)), 'utf8')) as Spec]));
      const { fake, gateway } = createPayPalTestSubject();
      await exercise(fake, gateway);
      const problems: string[] = [];
      const checked = new Map<string, number>();
      const notInSpecs = new Set<string>();
      for (const call of fake.api.calls) {
        const operation = operations[call.routeId as PayPalFakeRouteId];
        if (operation === undefined) {
          notInSpecs.add(call.routeId);
          continue;
        }
        if (typeof call.status !== 'number' || call.responseBody === undefined) continue;
        const spec = specs[operation.file] as Spec;
        const schema = responseSchema(spec, operation.path, operation.method, call.status);
        const label = `${call.routeId} ${call.status}`;
        if (schema === undefined) {
          problems.push(`${label}: the spec defines no JSON body for this status`);
          continue;
        }
        check(spec, JSON.parse(call.responseBody) as unknown, [schema], label, problems);
        checked.set(label, (checked.get(label) ?? 0) + 1);
      }
      expect(problems).toEqual([]);
      // Every route of the specs was exercised, successes and refusals alike.
      const routes = new Set([...checked.keys()].map((label) => label.replace(/ [0-9]+$/, '')));
      expect([...routes].sort()).toEqual(Object.keys(operations).sort());
      for (const label of ['POST /v2/checkout/orders 201', 'POST /v2/checkout/orders 422', 'GET /v2/checkout/orders/:id 404', 'POST /v2/payments/captures/:capture_id/refund 422', 'POST /v2/payments/authorizations/:authorization_id/void 200', 'GET /v3/vault/payment-tokens 400']) {
        expect(checked.get(label), label).toBeGreaterThan(0);
      }
      // The walker reads the real specs: an invented property, or a missing required one, is caught.
      const sanity: string[] = [];
      const orders = specs['paypal-orders-v2.json'] as Spec;
      const vault = specs['paypal-vault-v3.json'] as Spec;
      check(orders, { id: 'X', purchase_units: [{ payments: { captures: [{ id: 'C', invented: 1 }] } }] }, [responseSchema(orders, '/v2/checkout/orders', 'post', 201) as JsonSchema], 'order', sanity);
      check(vault, { name: 'INVALID_REQUEST', message: 'm' }, [responseSchema(vault, '/v3/vault/payment-tokens', 'get', 400) as JsonSchema], 'error', sanity);
      expect(sanity).toEqual(['order.purchase_units[0].payments.captures[0].invented is not defined by the spec', 'error.debug_id is required by the spec but missing']);
      // The OAuth token and verify-webhook-signature endpoints are not part of the three specs.
      expect([...notInSpecs].sort()).toEqual([payPalFakeRoutes.oauthToken, payPalFakeRoutes.verifyWebhookSignature].sort());
    },
  );

  it('the walker itself catches undeclared and missing properties', () => {
    const spec: Spec = {
      components: {
        schemas: {
          money: { type: 'object', required: ['value'], properties: { value: { type: 'string' }, currency_code: { type: 'string' } } },
          base: { type: 'object', properties: { id: { type: 'string' } } },
          thing: { allOf: [{ $ref: '#/components/schemas/base' }, { properties: { amount: { $ref: '#/components/schemas/money' }, list: { type: 'array', items: { $ref: '#/components/schemas/money' } }, note: { type: 'string', nullable: true } } }] },
          loose: { anyOf: [{ properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'string' } } }] },
          free: { type: 'object', additionalProperties: true, properties: { x: { type: 'string' } } },
        },
      },
    };
    const problems: string[] = [];
    check(spec, { id: '1', amount: { value: '1.00' }, list: [{ value: '2' }, { currency_code: 'USD' }], note: null, extra: true }, [{ $ref: '#/components/schemas/thing' }], 'thing', problems);
    check(spec, { amount: null }, [{ $ref: '#/components/schemas/thing' }], 'nulls', problems);
    check(spec, { b: 'x' }, [{ $ref: '#/components/schemas/loose' }], 'loose', problems);
    check(spec, { x: 'x', y: 'y' }, [{ $ref: '#/components/schemas/free' }], 'free', problems);
    expect(problems).toEqual(['thing.list[1].value is required by the spec but missing', 'thing.extra is not defined by the spec', 'nulls.amount is null but not nullable']);
  });
});
