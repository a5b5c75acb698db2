import { describe, expect, it } from 'vitest';
import { createShopifyDocumentChecker } from './shopify-fake-documents.js';
import { shopifyFakeSchema } from './shopify-fake.js';

const valid = 'query One($id: ID!) { order(id: $id) { id } }';

describe('createShopifyDocumentChecker', () => {
  it('answers a text seen before with the very same document', () => {
    const check = createShopifyDocumentChecker(shopifyFakeSchema());
    const first = check(valid);
    expect('document' in first).toBe(true);
    expect(check(valid)).toBe(first);
    expect(check(`${valid} `)).not.toBe(first);
  });

  it('answers syntax and validation errors the same way every time', () => {
    const check = createShopifyDocumentChecker(shopifyFakeSchema());
    const syntax = check('query {');
    expect(syntax).toMatchObject({ errors: [{ message: expect.stringContaining('Syntax Error') }] });
    expect(check('query {')).toStrictEqual(syntax);
    const invalid = check('{ order(id: "gid://shopify/Order/1") { paymigrateField } }');
    expect(invalid).toMatchObject({ errors: [{ message: expect.stringContaining('paymigrateField') }] });
    expect(check('{ order(id: "gid://shopify/Order/1") { paymigrateField } }')).toBe(invalid);
  });

  it('keeps a bounded number of texts, checking a forgotten one again', () => {
    const check = createShopifyDocumentChecker(shopifyFakeSchema());
    const first = check(valid);
    for (let index = 0; index < 256; index += 1) check(`query Q${index} { __typename }`);
    const again = check(valid);
    expect(again).not.toBe(first);
    expect(again).toStrictEqual(first);
  });
});
