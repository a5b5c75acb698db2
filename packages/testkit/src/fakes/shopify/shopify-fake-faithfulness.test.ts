import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type IntrospectionEnumType, type IntrospectionInputObjectType, type IntrospectionObjectType, type IntrospectionQuery, type IntrospectionType, type IntrospectionTypeRef, introspectionFromSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createShopifyAdminSubsetChecker } from './shopify-admin-subset-checker.js';
import { shopifyFakeSchema } from './shopify-fake.js';
import { shopifyFakeSupplementTypeNames } from './shopify-fake-schema.js';

// Resolved from packages/testkit/src/fakes/shopify to <repo>/../shared/specs (CI copies shared/ beside the repo).
const introspectionFile = fileURLToPath(new URL('../../../../../../shared/specs/shopify-admin-subset.introspection.json', import.meta.url));
const specsPresent = existsSync(introspectionFile);

function printReference(reference: IntrospectionTypeRef): string {
  if (reference.kind === 'NON_NULL') return `${printReference(reference.ofType)}!`;
  if (reference.kind === 'LIST') return `[${printReference(reference.ofType)}]`;
  return reference.name;
}

/** A type's members as comparable strings: fields with arguments, defaults and deprecation, input fields, enum values. */
function membersOf(type: IntrospectionType): Map<string, string> {
  const members = new Map<string, string>();
  if (type.kind === 'OBJECT' || type.kind === 'INTERFACE') {
    for (const field of (type as IntrospectionObjectType).fields) {
      const args = field.args.map((argument) => `${argument.name}: ${printReference(argument.type)}${argument.defaultValue === null ? '' : ` = ${argument.defaultValue}`}`).join(', ');
      members.set(field.name, `(${args}): ${printReference(field.type)}${field.isDeprecated ? ` @deprecated(${field.deprecationReason ?? ''})` : ''}`);
    }
  } else if (type.kind === 'INPUT_OBJECT') {
    for (const field of (type as IntrospectionInputObjectType).inputFields) members.set(field.name, `${printReference(field.type)}${field.defaultValue === null ? '' : ` = ${field.defaultValue}`}`);
  } else if (type.kind === 'ENUM') {
    for (const value of (type as IntrospectionEnumType).enumValues) members.set(value.name, value.isDeprecated ? `@deprecated(${value.deprecationReason ?? ''})` : '');
  }
  return members;
}

/** Official types the fake serves only in part; every other type must be complete. */
const partialTypes: ReadonlySet<string> = new Set(['Order', 'OrderTransaction', 'Refund']);

describe.skipIf(!specsPresent)("the Shopify fake's schema is faithful to the official Admin API 2025-01 subset (skipped when shared/specs is absent)", () => {
  const official = specsPresent ? (JSON.parse(readFileSync(introspectionFile, 'utf8')) as { data: IntrospectionQuery; extensions: { 'x-subset': { notIncluded: string[] } } }) : undefined;
  const officialTypes = new Map((official?.data.__schema.types ?? []).map((type) => [type.name, type]));
  const fakeTypes = introspectionFromSchema(shopifyFakeSchema()).__schema.types.filter((type) => !type.name.startsWith('__'));

  it('serves the official root types', () => {
    const schema = introspectionFromSchema(shopifyFakeSchema()).__schema;
    expect(schema.queryType.name).toBe(official?.data.__schema.queryType.name);
    expect(schema.mutationType?.name).toBe(official?.data.__schema.mutationType?.name);
  });

  it('every type it defines is official with the same kind, or a supplement the subset references (directly or through another supplement) without defining', () => {
    const supplements = fakeTypes.filter((type) => shopifyFakeSupplementTypeNames.includes(type.name)) as IntrospectionObjectType[];
    const referencedBySupplements = supplements.flatMap((type) => (type.fields ?? []).map((field) => printReference(field.type).replace(/[[\]!]/g, '')));
    for (const type of fakeTypes) {
      if (shopifyFakeSupplementTypeNames.includes(type.name)) {
        expect(officialTypes.has(type.name), type.name).toBe(false);
        expect([...(official?.extensions['x-subset'].notIncluded ?? []), ...referencedBySupplements], type.name).toContain(type.name);
      } else {
        expect(officialTypes.get(type.name)?.kind, type.name).toBe(type.kind);
      }
    }
  });

  it('every field, argument, default, input field and enum value it has is the official one; only Order, OrderTransaction and Refund are partial', () => {
    for (const type of fakeTypes.filter((candidate) => officialTypes.has(candidate.name))) {
      const officialMembers = membersOf(officialTypes.get(type.name) as IntrospectionType);
      const fakeMembers = membersOf(type);
      for (const [name, member] of fakeMembers) expect(`${type.name}.${name}${member}`).toBe(`${type.name}.${name}${officialMembers.get(name) ?? ' (not official)'}`);
      if (!partialTypes.has(type.name)) expect([...fakeMembers.keys()].sort(), type.name).toEqual([...officialMembers.keys()].sort());
      if (type.kind === 'OBJECT') {
        const officialInterfaces = (officialTypes.get(type.name) as IntrospectionObjectType).interfaces.map((entry) => entry.name);
        for (const implemented of (type as IntrospectionObjectType).interfaces) expect(officialInterfaces, type.name).toContain(implemented.name);
      }
    }
  });

  it('the subset checker stubs exactly the referenced types the fake does not supplement', () => {
    const checker = createShopifyAdminSubsetChecker(official);
    const expected = (official?.extensions['x-subset'].notIncluded ?? []).filter((name) => !shopifyFakeSupplementTypeNames.includes(name)).sort();
    expect(checker.stubTypeNames).toEqual(expected);
    expect(checker.validate('{ orders(first: 1) { nodes { id customer { id } } pageInfo { hasNextPage endCursor } } }')).toEqual([]);
    expect(checker.missingSelections('{ order(id: "x") { id name } }', { order: { id: 'x' } })).toEqual(['order.name: missing']);
    expect(checker.missingSelections('{ order(id: "x") { id } }', { order: null })).toEqual([]);
    expect(checker.missingSelections('{ orders(first: 1) { nodes { id } } }', { orders: null })).toEqual(['orders: null for non-null OrderConnection!']);
    expect(checker.missingSelections('{ orders(first: 1) { nodes { id } } }', { orders: { nodes: {} } })).toEqual(['orders.nodes: expected a list']);
    expect(checker.missingSelections('{ orders(first: 1) { nodes { id } } }', { orders: { nodes: [1] } })).toEqual(['orders.nodes[0]: expected an object']);
    expect(checker.missingSelections('query A { __typename } query B { __typename }', {})).toEqual(['no operation to check']);
    expect(checker.missingSelections('mutation { orderClose(input: { id: "x" }) { userErrors { field message } } }', { orderClose: { userErrors: [] } })).toEqual([]);
    expect(() => createShopifyAdminSubsetChecker({})).toThrow(TypeError);
  });
});
