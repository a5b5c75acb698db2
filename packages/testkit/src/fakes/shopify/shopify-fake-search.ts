/**
 * The part of Shopify's search syntax (https://shopify.dev/api/usage/search-syntax) the fake
 * understands for `orders(query:)`: `field:value` terms with the comparators `:<`, `:<=`, `:>`,
 * `:>=`, values bare or quoted with `'` or `"`, `AND` (also implicit, by juxtaposition), `OR`,
 * `NOT` / a leading `-`, and parentheses. `AND` binds tighter than `OR`.
 *
 * Unlike Shopify, which falls back to a free-text search for terms it does not know, the fake
 * refuses an unknown field or value with a `ShopifySearchSyntaxError`: an adapter sending a filter
 * the fake cannot honour must fail loudly, not receive a silently unfiltered list.
 */

/** A comparator of a search term. */
export type ShopifySearchComparator = '=' | '<' | '<=' | '>' | '>=';

/** A parsed search query. */
export type ShopifySearchNode =
  | { readonly type: 'term'; readonly field: string; readonly comparator: ShopifySearchComparator; readonly value: string }
  | { readonly type: 'not'; readonly operand: ShopifySearchNode }
  | { readonly type: 'and' | 'or'; readonly operands: readonly ShopifySearchNode[] };

/** A query the fake cannot parse or evaluate. */
export class ShopifySearchSyntaxError extends Error {
  constructor(message: string) {
    super(`Shopify fake search: ${message}`);
    this.name = 'ShopifySearchSyntaxError';
  }
}

type Token = { readonly type: 'open' | 'close' | 'and' | 'or' | 'not' } | { readonly type: 'term'; readonly text: string; readonly negated: boolean };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < query.length) {
    const character = query[index] as string;
    if (/\s/.test(character)) {
      index += 1;
    } else if (character === '(' || character === ')') {
      tokens.push({ type: character === '(' ? 'open' : 'close' });
      index += 1;
    } else {
      let text = '';
      let quote: string | undefined;
      while (index < query.length) {
        const current = query[index] as string;
        if (quote !== undefined) {
          if (current === quote) quote = undefined;
          else text += current;
        } else if (current === "'" || current === '"') {
          quote = current;
        } else if (/\s/.test(current) || current === '(' || current === ')') {
          break;
        } else {
          text += current;
        }
        index += 1;
      }
      if (quote !== undefined) throw new ShopifySearchSyntaxError(`unterminated quote in '${query}'`);
      if (text === 'AND') tokens.push({ type: 'and' });
      else if (text === 'OR') tokens.push({ type: 'or' });
      else if (text === 'NOT') tokens.push({ type: 'not' });
      else if (text === '-') tokens.push({ type: 'not' });
      else if (text.startsWith('-')) tokens.push({ type: 'term', text: text.slice(1), negated: true });
      else tokens.push({ type: 'term', text, negated: false });
    }
  }
  return tokens;
}

function parseTerm(text: string): ShopifySearchNode {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ShopifySearchSyntaxError(`free-text terms are not supported, got '${text}' (use field:value)`);
  const field = text.slice(0, colon);
  let rest = text.slice(colon + 1);
  let comparator: ShopifySearchComparator = '=';
  for (const candidate of ['<=', '>=', '<', '>'] as const) {
    if (rest.startsWith(candidate)) {
      comparator = candidate;
      rest = rest.slice(candidate.length);
      break;
    }
  }
  if (rest === '') throw new ShopifySearchSyntaxError(`term '${text}' has no value`);
  return { type: 'term', field, comparator, value: rest };
}

/** Parses a search query. An empty query matches everything (`and` of nothing). */
export function parseShopifySearch(query: string): ShopifySearchNode {
  const tokens = tokenize(query);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];

  function parseOr(): ShopifySearchNode {
    const operands = [parseAnd()];
    while (peek()?.type === 'or') {
      position += 1;
      operands.push(parseAnd());
    }
    return operands.length === 1 ? (operands[0] as ShopifySearchNode) : { type: 'or', operands };
  }

  function parseAnd(): ShopifySearchNode {
    const operands = [parseUnary()];
    for (let next = peek(); next !== undefined && next.type !== 'or' && next.type !== 'close'; next = peek()) {
      if (next.type === 'and') position += 1;
      operands.push(parseUnary());
    }
    return operands.length === 1 ? (operands[0] as ShopifySearchNode) : { type: 'and', operands };
  }

  function parseUnary(): ShopifySearchNode {
    const token = peek();
    position += 1;
    if (token === undefined) throw new ShopifySearchSyntaxError(`unexpected end of '${query}'`);
    if (token.type === 'not') return { type: 'not', operand: parseUnary() };
    if (token.type === 'open') {
      const inner = parseOr();
      if (peek()?.type !== 'close') throw new ShopifySearchSyntaxError(`missing ')' in '${query}'`);
      position += 1;
      return inner;
    }
    if (token.type === 'term') {
      const term = parseTerm(token.text);
      return token.negated ? { type: 'not', operand: term } : term;
    }
    throw new ShopifySearchSyntaxError(`unexpected '${token.type.toUpperCase()}' in '${query}'`);
  }

  if (tokens.length === 0) return { type: 'and', operands: [] };
  const node = parseOr();
  if (position < tokens.length) throw new ShopifySearchSyntaxError(`unexpected ')' in '${query}'`);
  return node;
}

/** Evaluates one term against a record; throws `ShopifySearchSyntaxError` for an unknown field or value. */
export type ShopifySearchTermEvaluator<Record> = (record: Record, field: string, comparator: ShopifySearchComparator, value: string) => boolean;

/** Evaluates a parsed query against a record. */
export function matchesShopifySearch<Record>(node: ShopifySearchNode, record: Record, evaluateTerm: ShopifySearchTermEvaluator<Record>): boolean {
  switch (node.type) {
    case 'term':
      return evaluateTerm(record, node.field, node.comparator, node.value);
    case 'not':
      return !matchesShopifySearch(node.operand, record, evaluateTerm);
    case 'and':
      return node.operands.every((operand) => matchesShopifySearch(operand, record, evaluateTerm));
    case 'or':
      return node.operands.some((operand) => matchesShopifySearch(operand, record, evaluateTerm));
  }
}

/** Compares two numbers with a search comparator. */
export function compareWith(comparator: ShopifySearchComparator, left: number, right: number): boolean {
  switch (comparator) {
    case '=':
      return left === right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

/**
 * Parses a search time value: an ISO 8601 date (`2025-01-15`, midnight UTC) or date-time
 * (`2025-01-15T10:20:30Z`), to epoch milliseconds.
 */
export function parseSearchTime(value: string): number {
  const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new ShopifySearchSyntaxError(`'${value}' is not an ISO 8601 date or date-time`);
  return time;
}
