import {
  buildClientSchema,
  buildSchema,
  getNamedType,
  type GraphQLField,
  type GraphQLSchema,
  type IntrospectionField,
  type IntrospectionInterfaceType,
  type IntrospectionObjectType,
  introspectionFromSchema,
  type IntrospectionQuery,
  type IntrospectionType,
  type IntrospectionTypeRef,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLOutputType,
  parse,
  validate,
  validateSchema,
  type SelectionSetNode,
  type GraphQLObjectType,
} from 'graphql';
import { shopifyFakeSchemaSdl, shopifyFakeSupplementTypeNames } from './shopify-fake-schema.js';
import { fieldsOf, type SelectionContext, selectionContext, selectOperation } from './shopify-graphql-selection.js';

/** Checks operations and answers against the official Admin API subset. */
export interface ShopifyAdminSubsetChecker {
  /** The completed schema (official subset plus supplements and stubs). */
  readonly schema: GraphQLSchema;
  /** Names of the stub types added so that the subset builds (types it references but does not define). */
  readonly stubTypeNames: readonly string[];
  /** graphql-js validation messages of `query` against the subset; empty when valid. */
  validate(query: string): string[];
  /**
   * Where an answer's `data` lacks what `query` selected: a missing key, or `null` for a
   * non-null field. Empty when every selected field is there.
   */
  missingSelections(query: string, data: unknown, options?: { readonly variables?: Readonly<Record<string, unknown>>; readonly operationName?: string }): string[];
}

type MutableType = IntrospectionType & { name: string };

/** Every named type a type reference points at. */
function namedRef(reference: IntrospectionTypeRef): { readonly kind: string; readonly name: string } {
  let current: IntrospectionTypeRef = reference;
  while (current.kind === 'LIST' || current.kind === 'NON_NULL') current = (current as { ofType: IntrospectionTypeRef }).ofType;
  return current as { readonly kind: string; readonly name: string };
}

function referencesOf(type: IntrospectionType): { readonly kind: string; readonly name: string }[] {
  const references: { readonly kind: string; readonly name: string }[] = [];
  if (type.kind === 'OBJECT' || type.kind === 'INTERFACE') {
    for (const field of type.fields) {
      references.push(namedRef(field.type));
      for (const argument of field.args) references.push(namedRef(argument.type));
    }
    for (const implemented of type.interfaces) references.push({ kind: 'INTERFACE', name: implemented.name });
  }
  if (type.kind === 'INPUT_OBJECT') for (const field of type.inputFields) references.push(namedRef(field.type));
  return references;
}

function printReference(reference: IntrospectionTypeRef): string {
  if (reference.kind === 'NON_NULL') return `${printReference((reference as { ofType: IntrospectionTypeRef }).ofType)}!`;
  if (reference.kind === 'LIST') return `[${printReference((reference as { ofType: IntrospectionTypeRef }).ofType)}]`;
  return (reference as { name: string }).name;
}

function signature(field: IntrospectionField): string {
  return `${field.name}(${field.args.map((argument) => `${argument.name}:${printReference(argument.type)}`).join(',')}):${printReference(field.type)}`;
}

/**
 * A stub for a type the subset references without defining. Interfaces get the fields every
 * implementor in the subset shares (so the implementors stay valid); every other kind becomes an
 * opaque object with one placeholder field (queries never select into them).
 */
function stubType(name: string, kind: string, defined: readonly IntrospectionType[]): IntrospectionType {
  if (kind === 'INTERFACE') {
    const implementors = defined.filter((type): type is IntrospectionObjectType => type.kind === 'OBJECT' && type.interfaces.some((candidate) => candidate.name === name));
    const [first, ...others] = implementors;
    const shared = (first?.fields ?? []).filter((field) => others.every((other) => other.fields.some((candidate) => signature(candidate) === signature(field))));
    const stub: IntrospectionInterfaceType = {
      kind: 'INTERFACE',
      name,
      description: 'Stub: outside the official subset.',
      fields: shared,
      interfaces: [],
      possibleTypes: implementors.map((implementor) => ({ kind: 'OBJECT', name: implementor.name })),
    };
    return stub;
  }
  const stub: IntrospectionObjectType = {
    kind: 'OBJECT',
    name,
    description: 'Stub: outside the official subset.',
    fields: [{ name: 'subsetStub', description: null, args: [], type: { kind: 'SCALAR', name: 'Boolean' }, isDeprecated: false, deprecationReason: null }],
    interfaces: [],
  };
  return stub;
}

/**
 * Builds a checker from Shopify's official introspection subset (`shopify-admin-subset.introspection.json`
 * from `shared/specs`, passed in by the caller: the spec is not shipped with the testkit).
 *
 * The subset references 63 types it does not define, so `buildClientSchema` refuses it as is. The
 * checker adds, for those, the fake's supplements where the fake serves them (`OrderConnection`,
 * `OrderEdge`, `PageInfo`, `Node`, `Customer` with its `id`) and stubs for the rest (see
 * `stubType`). Everything defined by the subset is used unchanged.
 */
export function createShopifyAdminSubsetChecker(introspection: unknown): ShopifyAdminSubsetChecker {
  const root = introspection as { readonly data?: IntrospectionQuery } & Partial<IntrospectionQuery>;
  const official = root.data?.__schema ?? root.__schema;
  if (official === undefined) throw new TypeError('createShopifyAdminSubsetChecker: expected an introspection result ({ data: { __schema } } or { __schema })');
  const defined = [...official.types] as MutableType[];
  const definedNames = new Set(defined.map((type) => type.name));
  const supplements = new Map(
    introspectionFromSchema(buildSchema(shopifyFakeSchemaSdl))
      .__schema.types.filter((type) => shopifyFakeSupplementTypeNames.includes(type.name))
      .map((type) => [type.name, type]),
  );
  const missing = new Map<string, string>();
  const pending = [...defined];
  const added: IntrospectionType[] = [];
  while (pending.length > 0) {
    const type = pending.pop() as IntrospectionType;
    for (const reference of referencesOf(type)) {
      if (definedNames.has(reference.name) || missing.has(reference.name)) continue;
      missing.set(reference.name, reference.kind);
      const supplement = supplements.get(reference.name);
      const completed = supplement ?? stubType(reference.name, reference.kind, defined);
      added.push(completed);
      pending.push(completed);
    }
  }
  const schema = buildClientSchema({ __schema: { ...official, types: [...defined, ...added] } });
  const problems = validateSchema(schema);
  if (problems.length > 0) throw new Error(`The completed Shopify subset is not a valid schema: ${problems.map((problem) => problem.message).join('; ')}`);
  const stubTypeNames = Object.freeze(added.map((type) => type.name).filter((name) => !supplements.has(name)).sort());
  return {
    schema,
    stubTypeNames,
    validate: (query) => validate(schema, parse(query)).map((error) => error.message),
    missingSelections: (query, data, options = {}) => {
      const document = parse(query);
      const operation = selectOperation(document, options.operationName);
      if (operation === undefined) return ['no operation to check'];
      const rootType = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
      const problems: string[] = [];
      checkSelection(operation.selectionSet, rootType as GraphQLObjectType, data, '', selectionContext(document, options.variables ?? {}), problems);
      return problems;
    },
  };
}

function checkSelection(selectionSet: SelectionSetNode, type: GraphQLObjectType, value: unknown, path: string, context: SelectionContext, problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path || '(root)'}: expected an object`);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const field of fieldsOf(selectionSet, type, context)) {
    const key = field.alias?.value ?? field.name.value;
    const fieldPath = path === '' ? key : `${path}.${key}`;
    if (!(key in record)) {
      problems.push(`${fieldPath}: missing`);
      continue;
    }
    if (field.name.value === '__typename') continue;
    const definition = type.getFields()[field.name.value] as GraphQLField<unknown, unknown> | undefined;
    if (definition === undefined) {
      problems.push(`${fieldPath}: not a field of ${type.name}`);
      continue;
    }
    checkValue(field.selectionSet, definition.type, record[key], fieldPath, context, problems);
  }
}

function checkValue(selectionSet: SelectionSetNode | undefined, type: GraphQLOutputType, value: unknown, path: string, context: SelectionContext, problems: string[]): void {
  if (value === null || value === undefined) {
    if (isNonNullType(type)) problems.push(`${path}: null for non-null ${String(type)}`);
    return;
  }
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) {
    if (!Array.isArray(value)) {
      problems.push(`${path}: expected a list`);
      return;
    }
    value.forEach((element, index) => checkValue(selectionSet, nullable.ofType as GraphQLOutputType, element, `${path}[${index}]`, context, problems));
    return;
  }
  const named = getNamedType(nullable);
  if (selectionSet === undefined) return;
  if (isObjectType(named)) checkSelection(selectionSet, named, value, path, context, problems);
  else if (isInterfaceType(named)) problems.push(`${path}: abstract type ${named.name} is not checked`);
}
