/** One clause of a Stripe search query: `metadata['order']:'123'`, `-status:'canceled'`, `amount>1000`. */
export interface StripeSearchClause {
  /** Field name (`status`, `amount`, ...) or `metadata`. */
  readonly field: string;
  /** The metadata key, for `metadata['key']`. */
  readonly metadataKey?: string | undefined;
  /** Comparison. */
  readonly operator: ':' | '>' | '<' | '>=' | '<=';
  /** The value, unquoted. */
  readonly value: string;
  /** Whether the clause is negated with a leading `-`. */
  readonly negated: boolean;
}

/** A parsed Stripe search query: clauses joined by one connective (Stripe forbids mixing AND and OR). */
export interface StripeSearchQuery {
  /** How the clauses combine. */
  readonly connective: 'AND' | 'OR';
  /** The clauses. */
  readonly clauses: readonly StripeSearchClause[];
}

/** A query Stripe would refuse (answered as a 400 `invalid_request_error`). */
export class StripeSearchQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeSearchQueryError';
  }
}

const clausePattern =
  /^\s*(-?)([a-z_]+)(?:\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\])?\s*(>=|<=|:|>|<)\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([0-9]+))\s*/;

/** Removes backslash escapes from a quoted search value. */
function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/**
 * Parses the subset of Stripe's search query language the fake supports: clauses
 * `field:value`, `field>value` (numbers), `metadata['key']:'value'`, an optional `-` to negate, joined
 * by ` AND ` or ` OR ` (not both).
 *
 * @throws StripeSearchQueryError for anything else.
 */
export function parseStripeSearchQuery(query: string, allowedFields: ReadonlySet<string>): StripeSearchQuery {
  const clauses: StripeSearchClause[] = [];
  const connectives = new Set<'AND' | 'OR'>();
  let rest = query;
  for (;;) {
    const match = clausePattern.exec(rest);
    if (match === null) throw new StripeSearchQueryError(`Search query is invalid near: ${rest.slice(0, 40) || '(end of query)'}`);
    const [whole, negation = '', field = '', singleKey, doubleKey, operator, singleValue, doubleValue, numberValue] = match;
    if (!allowedFields.has(field)) throw new StripeSearchQueryError(`Field '${field}' is an unsupported search field.`);
    const metadataKey = singleKey ?? doubleKey;
    if ((field === 'metadata') !== (metadataKey !== undefined)) {
      throw new StripeSearchQueryError(`Field '${field}' must be written ${field === 'metadata' ? "metadata['key']" : 'without a key'}.`);
    }
    clauses.push({
      field,
      metadataKey: metadataKey === undefined ? undefined : unescape(metadataKey),
      operator: operator as StripeSearchClause['operator'],
      value: numberValue ?? unescape(singleValue ?? doubleValue ?? ''),
      negated: negation === '-',
    });
    rest = rest.slice(whole.length);
    if (rest.length === 0) break;
    const connective = /^(AND|OR)\s+/.exec(rest);
    if (connective === null) throw new StripeSearchQueryError(`Search query is invalid near: ${rest.slice(0, 40)}`);
    connectives.add(connective[1] as 'AND' | 'OR');
    rest = rest.slice(connective[0].length);
  }
  if (connectives.size > 1) throw new StripeSearchQueryError('Search queries cannot mix AND and OR.');
  return { connective: connectives.has('OR') ? 'OR' : 'AND', clauses };
}

function clauseMatches(clause: StripeSearchClause, record: Readonly<Record<string, unknown>>): boolean {
  const actual =
    clause.field === 'metadata'
      ? (record['metadata'] as Readonly<Record<string, string>>)[clause.metadataKey as string]
      : record[clause.field];
  let matches: boolean;
  if (clause.operator === ':') {
    matches = actual !== undefined && actual !== null && String(actual) === clause.value;
  } else {
    const left = Number(actual);
    const right = Number(clause.value);
    matches =
      clause.operator === '>' ? left > right : clause.operator === '<' ? left < right : clause.operator === '>=' ? left >= right : left <= right;
  }
  return clause.negated ? !matches : matches;
}

/** Whether a JSON object matches a parsed query. */
export function matchesStripeSearchQuery(query: StripeSearchQuery, record: Readonly<Record<string, unknown>>): boolean {
  return query.connective === 'AND'
    ? query.clauses.every((clause) => clauseMatches(clause, record))
    : query.clauses.some((clause) => clauseMatches(clause, record));
}
