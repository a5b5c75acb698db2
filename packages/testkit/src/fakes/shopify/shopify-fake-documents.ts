import { type DocumentNode, type GraphQLError, type GraphQLSchema, parse, validate } from 'graphql';

/** A request's document as the fake checks it: parsed and valid, or the errors to answer with. */
export type CheckedShopifyDocument = { readonly document: DocumentNode } | { readonly errors: readonly unknown[] };

/** Distinct documents kept at most (an adapter sends a handful; the oldest is forgotten first). */
const documentCacheCapacity = 256;

/**
 * Parses and validates GraphQL documents against the fake's schema, once per distinct text.
 *
 * Both steps depend on the text alone (the schema never changes), so a text seen before gets
 * exactly the answer it got the first time: the same document, or the same syntax or validation
 * errors (answered with HTTP 200, as Shopify does). An adapter sends the same few documents with
 * different variables, and graphql-js's parse and validation were most of the fake's CPU under
 * load: the cost, throttling and execution still run on every request, with its variables.
 */
export function createShopifyDocumentChecker(schema: GraphQLSchema): (query: string) => CheckedShopifyDocument {
  const checked = new Map<string, CheckedShopifyDocument>();
  const check = (query: string): CheckedShopifyDocument => {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { errors: [(error as GraphQLError).toJSON()] };
    }
    const validationErrors = validate(schema, document);
    return validationErrors.length > 0 ? { errors: validationErrors.map((error) => error.toJSON()) } : { document };
  };
  return (query) => {
    const known = checked.get(query);
    if (known !== undefined) return known;
    const result = check(query);
    checked.set(query, result);
    if (checked.size > documentCacheCapacity) checked.delete(checked.keys().next().value as string);
    return result;
  };
}
