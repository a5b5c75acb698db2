import type { RecordedCall } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { fixturePaths, OpenApiResponseChecker, type SchemaProblem } from './__fixtures__/openapi-response-checker.js';
import { authorizeInput, euros, newKey, thrownBy, useStripeFake } from './__fixtures__/stripe-fake-harness.js';
import { readJsonIfPresent, stripeFixturesFile, stripeSpecificationFile } from './__fixtures__/stripe-spec.js';

// Faithfulness of the Stripe fake to Stripe's official OpenAPI description: every JSON body the
// fake served while the real SDK drove it through the adapter has every required property and
// only properties the spec's schema for that operation and status defines (or that Stripe's
// current official example objects show, the spec being a 2023 snapshot).
const specification = readJsonIfPresent(stripeSpecificationFile);
const fixtures = readJsonIfPresent(stripeFixturesFile);
const { fake, gateway } = useStripeFake();

/** Routes the spec subset does not describe, with the reason they are not checked. */
const uncheckedRoutes: Readonly<Record<string, string>> = {
  [fake.routes.searchPaymentIntents]:
    'the Search API (/v1/payment_intents/search) is not in the official spec subset in shared/specs; its result wraps payment_intent objects, which are checked on every other route',
};

/** `GET /v1/payment_intents/:intent` -> `['GET', '/v1/payment_intents/{intent}']`. */
function specOperation(routeId: string): [string, string] {
  const [method = '', path = ''] = routeId.split(' ');
  return [method, path.replace(/:([a-z_]+)/g, '{$1}')];
}

/** Drives every endpoint the adapter uses, with successes and every error status the fake answers. */
async function driveTraffic(): Promise<void> {
  const subject = gateway();
  const customer = String(fake.createCustomer()['id']);
  const saved = await subject.authorize(authorizeInput({ customerReference: customer, savePaymentMethod: true, captureMethod: 'automatic' }));
  await subject.chargeStoredPaymentMethod({
    idempotencyKey: newKey(),
    merchantReference: 'renewal',
    amount: euros(5000),
    customerReference: customer,
    paymentMethodToken: saved.storedPaymentMethod?.token as string,
    networkTransactionId: saved.networkTransactionId,
    reason: 'subscription',
  });
  const authorized = await subject.authorize(authorizeInput({ amount: euros(8000) }));
  await subject.capture({ idempotencyKey: newKey(), providerReference: authorized.providerReference, amount: euros(6000) });
  await subject.refund({ idempotencyKey: newKey(), providerReference: authorized.providerReference, amount: euros(1000), reason: 'fraudulent' });
  const toCancel = await subject.authorize(authorizeInput());
  await subject.cancel({ idempotencyKey: newKey(), providerReference: toCancel.providerReference });
  const challenged = await subject.authorize(authorizeInput({ paymentMethodToken: 'pm_card_threeDSecure2Required', returnUrl: 'https://shop.example/back' }));
  await subject.retrieve({ providerReference: challenged.providerReference });
  await subject.authorize(authorizeInput({ paymentMethodToken: 'pm_card_authenticationRequiredOnSetup' }));
  await subject.retrieve({ providerReference: authorized.providerReference });
  await subject.findByMerchantReference({ merchantReference: 'renewal' });
  await subject.listStoredPaymentMethods({ customerReference: customer });

  // 402 card errors, replayed by key.
  const declined = authorizeInput({ paymentMethodToken: 'pm_card_visa_chargeDeclinedInsufficientFunds' });
  await thrownBy(() => subject.authorize(declined));
  await thrownBy(() => subject.authorize(declined));
  // 400s: over-capture, over-refund, wrong state, unknown parameter value, idempotency conflict, resource missing.
  const held = await subject.authorize(authorizeInput());
  await thrownBy(() => subject.capture({ idempotencyKey: newKey(), providerReference: held.providerReference, amount: euros(9999) }));
  await thrownBy(() => subject.refund({ idempotencyKey: newKey(), providerReference: held.providerReference, amount: euros(100) }));
  await thrownBy(() => subject.refund({ idempotencyKey: newKey(), providerReference: authorized.providerReference, amount: euros(99_999) }));
  await thrownBy(() => subject.cancel({ idempotencyKey: newKey(), providerReference: authorized.providerReference }));
  await thrownBy(() => subject.authorize(authorizeInput({ amount: euros(1) })));
  const reused = authorizeInput();
  await subject.authorize(reused);
  await thrownBy(() => subject.authorize({ ...reused, amount: euros(5001) }));
  await thrownBy(() => subject.listStoredPaymentMethods({ customerReference: 'cus_missing' }));
  // 404, 401.
  await thrownBy(() => subject.retrieve({ providerReference: 'pi_missing' }));
  await thrownBy(() => gateway({ apiKey: 'sk_live_wrong_mode' }).retrieve({ providerReference: 'pi_missing' }));
  // 409: a second request while the first with the same key runs.
  const concurrent = authorizeInput();
  fake.setExecutionDelay(100);
  const first = subject.authorize(concurrent);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await thrownBy(() => subject.authorize(concurrent));
  await first;
  fake.setExecutionDelay(0);
  // 429 and 5xx in Stripe's own shapes; Stripe's own 500 replayed by key.
  fake.injectRateLimit({ route: fake.routes.createRefund, retryAfterSeconds: 2, times: 1 });
  await thrownBy(() => subject.refund({ idempotencyKey: newKey(), providerReference: authorized.providerReference, amount: euros(10) }));
  fake.injectServerError({ route: fake.routes.retrievePaymentIntent, status: 503, times: 1 });
  await thrownBy(() => subject.retrieve({ providerReference: authorized.providerReference }));
  const failing = authorizeInput();
  fake.scheduleApiError({ route: fake.routes.createPaymentIntent });
  await thrownBy(() => subject.authorize(failing));
  await thrownBy(() => subject.authorize(failing));
}

describe('the Stripe fake answers with the shapes of the official spec', () => {
  it('every JSON body served has the required properties and only the properties of its operation and status', async ({ skip }) => {
    if (specification === undefined) return skip(`the Stripe spec is not at ${stripeSpecificationFile} (CI copies shared/ beside the repository)`);
    await driveTraffic();
    const checker = new OpenApiResponseChecker(specification, fixturePaths(fixtures));
    const problems: (SchemaProblem & { readonly call: string })[] = [];
    const accepted = new Set<string>();
    const checkedStatuses = new Set<number>();
    const checkedRoutes = new Set<string>();
    let checked = 0;
    for (const call of fake.api.calls as readonly RecordedCall[]) {
      if (uncheckedRoutes[call.routeId] !== undefined || typeof call.status !== 'number' || call.responseBody === undefined) continue;
      const [method, path] = specOperation(call.routeId);
      const schema = checker.responseSchema(path, method, call.status);
      expect(schema, `the spec describes ${method} ${path} ${call.status}`).toBeDefined();
      const result = checker.check(JSON.parse(call.responseBody), schema ?? {});
      problems.push(...result.problems.map((problem) => ({ ...problem, call: `${call.routeId} -> ${call.status}` })));
      for (const field of result.acceptedFromFixtures) accepted.add(field);
      checkedStatuses.add(call.status);
      if (call.status === 200) checkedRoutes.add(call.routeId);
      checked += 1;
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(25);
    expect([...checkedStatuses].sort()).toEqual([200, 400, 401, 402, 404, 409, 429, 500, 503]);
    expect([...checkedRoutes].sort()).toEqual(
      Object.values(fake.routes)
        .filter((route) => uncheckedRoutes[route] === undefined)
        .sort(),
    );
    // The only fields newer than the 2023 spec are ones Stripe's current examples show.
    expect([...accepted].sort()).toEqual(['charge.payment_method_details.card.network_transaction_id', 'payment_method.allow_redisplay']);
  });

  it("every webhook event has the spec's event shape, and its object the shape of its resource", ({ skip }) => {
    if (specification === undefined) return skip(`the Stripe spec is not at ${stripeSpecificationFile}`);
    const checker = new OpenApiResponseChecker(specification, fixturePaths(fixtures));
    const events = fake.events();
    expect(events.length).toBeGreaterThan(20);
    const problems: SchemaProblem[] = [];
    for (const event of events) {
      problems.push(...checker.check(event, checker.componentSchema('event') ?? {}).problems);
      const object = (event['data'] as { object: Record<string, unknown> }).object;
      const schema = checker.componentSchema(String(object['object']));
      expect(schema, `the spec has a schema for ${String(object['object'])}`).toBeDefined();
      problems.push(...checker.check(object, schema ?? {}).problems.map((problem) => ({ ...problem, path: `${String(event['type'])} ${problem.path}` })));
    }
    expect(problems).toEqual([]);
  });

  it('the checker itself catches a missing required property, an unknown one, a wrong type and a bad enum value', ({ skip }) => {
    if (specification === undefined) return skip(`the Stripe spec is not at ${stripeSpecificationFile}`);
    const checker = new OpenApiResponseChecker(specification, fixturePaths(fixtures));
    const intent = { ...(fake.paymentIntents()[0] as Record<string, unknown>) };
    delete intent['currency'];
    const result = checker.check({ ...intent, amount: '12', status: 'paid', invented: true, latest_charge: { object: 'charge', id: 1 } }, checker.componentSchema('payment_intent') ?? {});
    expect(result.problems.map((problem) => problem.path).sort()).toEqual(
      ['$.amount', '$.currency', '$.invented', '$.latest_charge', '$.status'].sort(),
    );
    expect(checker.check({ error: { message: 'x' } }, checker.responseSchema('/v1/refunds', 'POST', 400) ?? {}).problems).toEqual([
      { path: '$.error.type', message: 'is required but missing' },
    ]);
  });
});
