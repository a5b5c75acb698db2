import type { ClockV1 } from '@paymigrate/core';
import {
  type DocumentNode,
  type FieldNode,
  getNamedType,
  getNullableType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import { fieldsOf, type SelectionContext, selectionContext, selectOperation } from './shopify-graphql-selection.js';

/**
 * The fake's model of Shopify's query cost (https://shopify.dev/docs/api/usage/limits#cost-calculation):
 *
 * - scalars and enums cost 0; an object costs 1 plus its selection;
 * - a connection (`*Connection`) costs 2 plus, per node, the node's selection (`first`/`last` nodes
 *   when requested, the returned nodes for the actual cost);
 * - a list of objects costs its element per element (`first` elements when the field takes
 *   `first`, else one element when requested; the returned elements for the actual cost);
 * - a mutation field costs 10, whatever it selects.
 *
 * The requested cost is computed before execution and must be in the bucket; the difference to
 * the actual cost is given back after execution, as Shopify does.
 */
const mutationFieldCost = 10;
const connectionBaseCost = 2;

interface CostContext extends SelectionContext {
  readonly schema: GraphQLSchema;
}

function contextOf(schema: GraphQLSchema, document: DocumentNode, variables: Readonly<Record<string, unknown>>): CostContext {
  return { schema, ...selectionContext(document, variables) };
}

function argumentValue(field: FieldNode, name: string, context: CostContext): unknown {
  const argument = field.arguments?.find((candidate) => candidate.name.value === name);
  return argument === undefined ? undefined : valueFromASTUntyped(argument.value, context.variables);
}

function pageSize(field: FieldNode, context: CostContext): number | undefined {
  const first = argumentValue(field, 'first', context);
  const last = argumentValue(field, 'last', context);
  const size = typeof first === 'number' ? first : typeof last === 'number' ? last : undefined;
  return size === undefined ? undefined : Math.max(0, size);
}

/**
 * Cost of the selection of `type`. With `data` (the returned object, or `undefined` for the
 * requested cost) list sizes and nulls come from the answer.
 */
function selectionCost(selectionSet: SelectionSetNode | undefined, type: GraphQLObjectType, data: Record<string, unknown> | undefined, context: CostContext): number {
  if (selectionSet === undefined) return 0;
  let cost = 0;
  for (const field of fieldsOf(selectionSet, type, context)) {
    const definition = type.getFields()[field.name.value];
    if (definition === undefined) continue;
    const key = field.alias?.value ?? field.name.value;
    cost += fieldCost(field, definition, data === undefined ? undefined : { value: data[key] }, context);
  }
  return cost;
}

function elementCost(field: FieldNode, type: GraphQLObjectType, value: unknown, actual: boolean, context: CostContext): number {
  if (actual && (value === null || value === undefined)) return 0;
  return 1 + selectionCost(field.selectionSet, type, actual ? (value as Record<string, unknown>) : undefined, context);
}

function fieldCost(field: FieldNode, definition: GraphQLField<unknown, unknown>, answer: { readonly value: unknown } | undefined, context: CostContext): number {
  const named = getNamedType(definition.type);
  if (!isCompositeType(named) || !isObjectType(named)) return isCompositeType(named) ? 1 : 0;
  const actual = answer !== undefined;
  if (named.name.endsWith('Connection')) {
    return connectionCost(field, named, answer, context);
  }
  const nullable = getNullableType(definition.type);
  if (isListType(nullable)) {
    if (actual) {
      const elements = Array.isArray(answer.value) ? (answer.value as unknown[]) : [];
      return elements.reduce<number>((sum, element) => sum + elementCost(field, named, element, true, context), 0);
    }
    return (pageSize(field, context) ?? 1) * elementCost(field, named, undefined, false, context);
  }
  return elementCost(field, named, answer?.value, actual, context);
}

function connectionCost(field: FieldNode, connection: GraphQLObjectType, answer: { readonly value: unknown } | undefined, context: CostContext): number {
  if (answer !== undefined && (answer.value === null || answer.value === undefined)) return 0;
  const data = answer?.value as Record<string, unknown> | undefined;
  let cost = connectionBaseCost;
  for (const part of fieldsOf(field.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] }, connection, context)) {
    const partDefinition = connection.getFields()[part.name.value];
    if (partDefinition === undefined || part.name.value === 'pageInfo') continue;
    const key = part.alias?.value ?? part.name.value;
    const elementType = getNamedType(partDefinition.type) as GraphQLObjectType;
    const elements = data === undefined ? undefined : ((data[key] as unknown[] | undefined) ?? []);
    const count = elements?.length ?? pageSize(field, context) ?? 0;
    for (let index = 0; index < count; index += 1) {
      if (part.name.value === 'edges') {
        const edge = elements?.[index] as Record<string, unknown> | undefined;
        // The edge itself is free; its node costs what a node costs.
        for (const edgeField of fieldsOf(part.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] }, elementType, context)) {
          if (edgeField.name.value !== 'node') continue;
          const node = elementType.getFields()['node'] as GraphQLField<unknown, unknown>;
          cost += elementCost(edgeField, getNamedType(node.type) as GraphQLObjectType, edge?.[edgeField.alias?.value ?? 'node'], data !== undefined, context);
        }
      } else {
        cost += elementCost(part, elementType, elements?.[index], data !== undefined, context);
      }
    }
  }
  return cost;
}

function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Readonly<Record<string, unknown>>, data: Record<string, unknown> | undefined): number {
  const operation = selectOperation(document, operationName);
  if (operation === undefined) return 0;
  const context = contextOf(schema, document, variables);
  if (operation.operation === 'mutation') {
    const root = schema.getMutationType() as GraphQLObjectType;
    return fieldsOf(operation.selectionSet, root, context).length * mutationFieldCost;
  }
  const root = schema.getQueryType() as GraphQLObjectType;
  return selectionCost(operation.selectionSet, root, data, context);
}

/** The cost Shopify charges up front: every list and connection at its requested size. */
export function requestedQueryCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Readonly<Record<string, unknown>>): number {
  return operationCost(schema, document, operationName, variables, undefined);
}

/** The cost of what was actually returned. */
export function actualQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
  data: Record<string, unknown> | null | undefined,
): number {
  return operationCost(schema, document, operationName, variables, data ?? {});
}

/** Shopify's `extensions.cost.throttleStatus`. */
export interface ShopifyThrottleStatus {
  readonly maximumAvailable: number;
  readonly currentlyAvailable: number;
  readonly restoreRate: number;
}

/**
 * Shopify's leaky bucket of query cost points: `maximumAvailable` points, refilled at
 * `restoreRate` points per second of the clock.
 */
export class ShopifyCostBucket {
  readonly maximumAvailable: number;
  readonly restoreRate: number;
  readonly #clock: Pick<ClockV1, 'now'>;
  #available: number;
  #refilledAt: number;

  constructor(options: { readonly maximumAvailable: number; readonly restoreRate: number; readonly clock: Pick<ClockV1, 'now'> }) {
    if (!(options.maximumAvailable > 0) || !(options.restoreRate > 0)) throw new RangeError('Shopify fake: maximumAvailable and restoreRate must be positive');
    this.maximumAvailable = options.maximumAvailable;
    this.restoreRate = options.restoreRate;
    this.#clock = options.clock;
    this.#available = options.maximumAvailable;
    this.#refilledAt = options.clock.now();
  }

  /** Points available now (fractional while refilling). */
  available(): number {
    const now = this.#clock.now();
    if (now > this.#refilledAt) {
      this.#available = Math.min(this.maximumAvailable, this.#available + ((now - this.#refilledAt) / 1000) * this.restoreRate);
    }
    this.#refilledAt = Math.max(this.#refilledAt, now);
    return this.#available;
  }

  /** Takes `points` when available; answers whether it did. */
  take(points: number): boolean {
    if (this.available() < points) return false;
    this.#available -= points;
    return true;
  }

  /** Gives back points (the requested cost minus the actual cost). */
  giveBack(points: number): void {
    this.#available = Math.min(this.maximumAvailable, this.available() + Math.max(0, points));
  }

  /** Test control: sets the points available now. */
  set(points: number): void {
    this.available();
    this.#available = Math.min(this.maximumAvailable, Math.max(0, points));
  }

  /** The status Shopify reports (points rounded down to whole points). */
  status(): ShopifyThrottleStatus {
    return { maximumAvailable: this.maximumAvailable, currentlyAvailable: Math.floor(this.available()), restoreRate: this.restoreRate };
  }
}
