import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

/** What walking a selection needs besides the selection: fragments and variables. */
export interface SelectionContext {
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** The fragments of a document, with the request's variables. */
export function selectionContext(document: DocumentNode, variables: Readonly<Record<string, unknown>>): SelectionContext {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return { fragments, variables };
}

/** The operation a request runs: the one named `operationName`, or the only one. */
export function selectOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (operationName !== undefined) return operations.find((operation) => operation.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

/** Whether `@skip` / `@include` keep a selection, given the variables. */
function included(directives: readonly DirectiveNode[] | undefined, variables: Readonly<Record<string, unknown>>): boolean {
  for (const directive of directives ?? []) {
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if');
    if (condition === undefined) continue;
    const value = valueFromASTUntyped(condition.value, variables);
    if (directive.name.value === 'skip' && value === true) return false;
    if (directive.name.value === 'include' && value === false) return false;
  }
  return true;
}

/** The fields a selection set selects on `type`: fragments flattened, skipped selections left out. */
export function fieldsOf(selectionSet: SelectionSetNode, type: GraphQLObjectType | GraphQLInterfaceType, context: SelectionContext): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (!included(selection.directives, context.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      fields.push(selection);
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : context.fragments.get(selection.name.value);
    if (fragment === undefined) continue;
    const condition = fragment.typeCondition?.name.value;
    if (condition !== undefined && condition !== type.name && !type.getInterfaces().some((candidate) => candidate.name === condition)) continue;
    fields.push(...fieldsOf(fragment.selectionSet, type, context));
  }
  return fields;
}
