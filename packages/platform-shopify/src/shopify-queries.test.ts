import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createShopifyAdminSubsetChecker, type ShopifyAdminSubsetChecker } from '@paymigrate/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { euros, newKey, paymentUpdate, useShopifyFake } from './__fixtures__/shopify-test-environment.js';
import { shopifyDocuments } from './shopify-queries.js';

// Resolved from packages/platform-shopify/src to <repo>/../shared/specs (CI copies shared/ beside the repo).
const introspectionFile = fileURLToPath(new URL('../../../../shared/specs/shopify-admin-subset.introspection.json', import.meta.url));
const specsPresent = existsSync(introspectionFile);

const { fake, platform } = useShopifyFake({ shopDomain: 'paymigrate-faithful.myshopify.com' });
let checker: ShopifyAdminSubsetChecker;

beforeAll(() => {
  if (specsPresent) checker = createShopifyAdminSubsetChecker(JSON.parse(readFileSync(introspectionFile, 'utf8')));
});

describe.skipIf(!specsPresent)("the adapter's GraphQL is faithful to Shopify's official 2025-01 schema (skipped when shared/specs is absent)", () => {
  it.each(Object.entries(shopifyDocuments))('%s validates against the official subset', (_name, document) => {
    expect(checker.validate(document)).toEqual([]);
  });

  it('the checker would catch a field Shopify does not have', () => {
    expect(checker.validate('{ order(id: "gid://shopify/Order/1") { id paymigrateField } }')).toHaveLength(1);
  });

  it('every request the adapter sent validates, and every answer the fake served has every selected field', async () => {
    fake.reset();
    const adapter = platform();
    const authorized = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', customerId: 'customer-1' });
    const pending = fake.addOrder({ total: euros(5000) });
    const paid = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    await adapter.getOrder({ orderId: authorized });
    await adapter.getOrder({ orderId: 'gid://shopify/Order/1' });
    await adapter.listOpenOrders({ limit: 2, updatedSince: 0 });
    await adapter.recordPayment(paymentUpdate(authorized, 'capture', euros(2000)));
    await adapter.recordPayment(paymentUpdate(pending, 'capture', euros(5000)));
    await adapter.recordPayment(paymentUpdate(paid, 'refund', euros(1000)));
    await adapter.recordPayment(paymentUpdate(fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' }), 'void', euros(5000)));
    await adapter.cancelOrder({ idempotencyKey: newKey(), orderId: fake.addOrder({ total: euros(5000) }), reason: 'inventory' });
    const calls = fake.api.calls;
    const operations = new Set<string>();
    for (const call of calls) {
      const body = call.requestBodyJson as { query: string; variables: Record<string, unknown> };
      expect(checker.validate(body.query), body.query).toEqual([]);
      const answer = JSON.parse(call.responseBody ?? '{}') as { data?: unknown; errors?: unknown };
      expect(answer.errors).toBeUndefined();
      expect(checker.missingSelections(body.query, answer.data, { variables: body.variables })).toEqual([]);
      operations.add(/(?:query|mutation) (\w+)/.exec(body.query)?.[1] ?? '');
    }
    expect([...operations].sort()).toEqual(Object.keys(shopifyDocuments).sort());
  });
});
