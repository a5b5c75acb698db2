import type { SpecificationJson } from './stripe-spec.js';

/**
 * A small OpenAPI 3.0 schema walker for the faithfulness test: it checks that a JSON value has
 * every required property and only properties the schema defines. It follows `$ref`, treats
 * `anyOf` / `oneOf` loosely (one branch must fit), combines `allOf`, honours `nullable`, checks
 * types and string enums, and accepts free-form objects (an `object` schema without `properties`).
 *
 * A property the 2023 schema does not define is still accepted when Stripe's current official
 * example object of the same resource (`stripe.fixtures.json`) has it at the same place: the spec
 * is older than the API the SDK speaks, and the fixtures show the newer fields.
 */

/** A schema node. */
type Schema = Readonly<Record<string, unknown>>;

/** One mismatch, with the JSON path where it was found. */
export interface SchemaProblem {
  /** Path in the checked value, e.g. `$.latest_charge.outcome.type`. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

/** The outcome of checking one value. */
export interface SchemaCheck {
  /** Mismatches; empty when the value fits. */
  readonly problems: readonly SchemaProblem[];
  /** Properties accepted only because the current fixtures show them (`charge.payment_method_details.card.network_transaction_id`). */
  readonly acceptedFromFixtures: readonly string[];
}

/** Resource type (`charge`) -> property paths of its current official example (`payment_method_details.card.last4`). */
export type FixturePaths = ReadonlyMap<string, ReadonlySet<string>>;

/** Collects the property paths of Stripe's example objects (array items are `[]`). */
export function fixturePaths(fixtures: SpecificationJson | undefined): FixturePaths {
  const resources = (fixtures?.['resources'] ?? {}) as Record<string, unknown>;
  const paths = new Map<string, Set<string>>();
  for (const [name, example] of Object.entries(resources)) {
    const collected = new Set<string>();
    collectPaths(example, '', collected);
    paths.set(name, collected);
  }
  return paths;
}

function collectPaths(value: unknown, prefix: string, collected: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectPaths(item, `${prefix}[]`, collected);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, member] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    collected.add(path);
    collectPaths(member, path, collected);
  }
}

interface ResourceContext {
  /** Resource type from the nearest enclosing `object` field. */
  readonly type: string;
  /** Path inside that resource. */
  readonly path: string;
}

/** Checks JSON values against the schemas of one OpenAPI document. */
export class OpenApiResponseChecker {
  readonly #specification: SpecificationJson;
  readonly #fixturePaths: FixturePaths;

  constructor(specification: SpecificationJson, fixtures: FixturePaths = new Map()) {
    this.#specification = specification;
    this.#fixturePaths = fixtures;
  }

  /**
   * The response schema of an operation for an HTTP status (its own entry, else `default`).
   * @param path Spec path, e.g. `/v1/payment_intents/{intent}`.
   */
  responseSchema(path: string, method: string, status: number): Schema | undefined {
    const operation = ((this.#specification['paths'] as Record<string, Record<string, Schema>>)[path] ?? {})[method.toLowerCase()];
    const responses = (operation?.['responses'] ?? {}) as Record<string, Schema>;
    const response = responses[String(status)] ?? responses['default'];
    return ((response?.['content'] as Record<string, Schema> | undefined)?.['application/json']?.['schema'] ?? undefined) as Schema | undefined;
  }

  /** A component schema by name (`payment_intent`). */
  componentSchema(name: string): Schema | undefined {
    return ((this.#specification['components'] as Record<string, Record<string, Schema>>)['schemas'] ?? {})[name];
  }

  /** Checks `value` against `schema`. */
  check(value: unknown, schema: Schema): SchemaCheck {
    const accepted: string[] = [];
    const problems = this.#check(value, schema, '$', undefined, accepted);
    return { problems, acceptedFromFixtures: [...new Set(accepted)].sort() };
  }

  #resolve(schema: Schema): Schema {
    let current = schema;
    for (let depth = 0; typeof current['$ref'] === 'string' && depth < 32; depth += 1) {
      const segments = (current['$ref'] as string).replace(/^#\//, '').split('/');
      current = segments.reduce<unknown>((node, segment) => (node as Record<string, unknown>)[segment], this.#specification) as Schema;
      if (current === undefined) throw new Error(`Unresolvable $ref ${String(schema['$ref'])}`);
    }
    return current;
  }

  #check(value: unknown, rawSchema: Schema, path: string, resource: ResourceContext | undefined, accepted: string[]): SchemaProblem[] {
    const schema = this.#resolve(rawSchema);
    if (value === null) return schema['nullable'] === true ? [] : [{ path, message: 'is null but the schema is not nullable' }];
    const branches = (schema['anyOf'] ?? schema['oneOf']) as Schema[] | undefined;
    if (branches !== undefined) {
      let best: { problems: SchemaProblem[]; accepted: string[] } | undefined;
      for (const branch of branches) {
        const branchAccepted: string[] = [];
        const problems = this.#check(value, branch, path, resource, branchAccepted);
        if (problems.length === 0) {
          accepted.push(...branchAccepted);
          return [];
        }
        if (best === undefined || problems.length < best.problems.length) best = { problems, accepted: branchAccepted };
      }
      return best?.problems ?? [];
    }
    if (Array.isArray(schema['allOf'])) {
      return (schema['allOf'] as Schema[]).flatMap((part) => this.#check(value, part, path, resource, accepted));
    }
    const type = schema['type'] as string | undefined;
    switch (type) {
      case 'string':
        if (typeof value !== 'string') return [{ path, message: `is ${typeof value}, expected a string` }];
        if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value)) {
          return [{ path, message: `'${value}' is not one of ${(schema['enum'] as unknown[]).join(', ')}` }];
        }
        return [];
      case 'integer':
        return Number.isInteger(value) ? [] : [{ path, message: `is ${JSON.stringify(value)}, expected an integer` }];
      case 'number':
        return typeof value === 'number' ? [] : [{ path, message: `is ${typeof value}, expected a number` }];
      case 'boolean':
        return typeof value === 'boolean' ? [] : [{ path, message: `is ${typeof value}, expected a boolean` }];
      case 'array': {
        if (!Array.isArray(value)) return [{ path, message: 'expected an array' }];
        const items = schema['items'] as Schema | undefined;
        const itemResource = resource === undefined ? undefined : { ...resource, path: `${resource.path}[]` };
        return items === undefined ? [] : value.flatMap((item, index) => this.#check(item, items, `${path}[${index}]`, itemResource, accepted));
      }
      default:
        if (type === 'object' || schema['properties'] !== undefined) return this.#checkObject(value, schema, path, resource, accepted);
        return [];
    }
  }

  #checkObject(value: unknown, schema: Schema, path: string, outer: ResourceContext | undefined, accepted: string[]): SchemaProblem[] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ path, message: 'expected an object' }];
    const record = value as Record<string, unknown>;
    const resource = typeof record['object'] === 'string' && this.#fixturePaths.has(record['object']) ? { type: record['object'], path: '' } : outer;
    const properties = schema['properties'] as Record<string, Schema> | undefined;
    const additional = schema['additionalProperties'];
    const problems: SchemaProblem[] = [];
    for (const required of (schema['required'] as string[] | undefined) ?? []) {
      if (!(required in record)) problems.push({ path: `${path}.${required}`, message: 'is required but missing' });
    }
    if (properties === undefined && (additional === undefined || additional === true)) return problems;
    for (const [key, member] of Object.entries(record)) {
      const childPath = `${path}.${key}`;
      const childResource = resource === undefined ? undefined : { ...resource, path: resource.path === '' ? key : `${resource.path}.${key}` };
      const propertySchema = properties?.[key];
      if (propertySchema !== undefined) {
        problems.push(...this.#check(member, propertySchema, childPath, childResource, accepted));
      } else if (typeof additional === 'object' && additional !== null) {
        problems.push(...this.#check(member, additional as Schema, childPath, childResource, accepted));
      } else if (additional === true) {
        continue;
      } else if (childResource !== undefined && this.#fixturePaths.get(childResource.type)?.has(childResource.path) === true) {
        accepted.push(`${childResource.type}.${childResource.path}`);
      } else {
        problems.push({ path: childPath, message: 'is not defined by the schema' });
      }
    }
    return problems;
  }
}
