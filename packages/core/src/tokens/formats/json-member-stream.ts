import { StringDecoder } from 'node:string_decoder';

/** A member of the streamed object: its (unescaped) name and its value's raw JSON text. */
export interface JsonMember {
  /** Member name. */
  readonly name: string;
  /** The value's JSON text, exactly as in the file. */
  readonly text: string;
}

/** Why the document could not be streamed; the caller turns it into its own error. */
export class JsonStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const quote = 0x22;
const backslash = 0x5c;
const colon = 0x3a;
const comma = 0x2c;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * A small incremental JSON scanner for one shape: a root object whose member `container` is an
 * object of many members (Stripe's mapping file: `{ "customers": { "<old id>": {...}, ... } }`).
 * It yields each member of `container` as soon as its value is complete, holding only that
 * member's text in memory (bounded by `maximumMemberLength`), never the document. Everything else
 * in the root object is skipped structurally. The values are not parsed here: the caller
 * `JSON.parse`s each (small) member, so string escapes and numbers follow JSON exactly.
 *
 * The scanner tracks only what it needs: nesting depth, strings (with escapes), and which member
 * name precedes a value. A document that ends early or nests wrongly is a `JsonStreamError`.
 */
export async function* streamObjectMembers(
  chunks: AsyncIterable<string | Uint8Array>,
  container: string,
  maximumMemberLength: number,
): AsyncGenerator<JsonMember> {
  const decoder = new StringDecoder('utf8');
  const stack: number[] = [];
  let inString = false;
  let escaped = false;
  let stringStart = -1;
  let stringParts: string[] = [];
  /** The last complete string at the root-object or container level, when it was a member name. */
  let lastName: string | undefined;
  let rootName: string | undefined;
  let inContainer = false;
  let memberName: string | undefined;
  let capture: string[] | undefined;
  let captureStart = -1;
  let captureLength = 0;
  let expectName = false;
  let seenRoot = false;

  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (capture !== undefined) captureStart = 0;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (inString) {
        if (escaped) escaped = false;
        else if (code === backslash) escaped = true;
        else if (code === quote) {
          inString = false;
          if (stringStart >= 0) {
            stringParts.push(text.slice(stringStart, index));
            const raw = stringParts.join('');
            stringParts = [];
            stringStart = -1;
            if (expectName) {
              lastName = JSON.parse(`"${raw}"`) as string;
            }
          }
        }
        continue;
      }
      if (isWhitespace(code)) continue;
      if (code === quote) {
        if (!expectName && stack.length === 2 && inContainer && capture === undefined) throw new JsonStreamError(`a member of '${container}' is not an object`);
        inString = true;
        // Names are tracked only where they matter: members of the root and of the container.
        const depth = stack.length;
        if (expectName && (depth === 1 || (depth === 2 && inContainer))) {
          stringStart = index + 1;
          stringParts = [];
        } else {
          stringStart = -1;
        }
        continue;
      }
      if (code === colon) {
        if (expectName) {
          if (stack.length === 1) rootName = lastName;
          if (stack.length === 2 && inContainer) memberName = lastName;
        }
        expectName = false;
        continue;
      }
      if (code === comma) {
        expectName = stack.at(-1) === openBrace;
        continue;
      }
      if (code === openBrace || code === openBracket) {
        if (stack.length === 0) {
          if (seenRoot || code !== openBrace) throw new JsonStreamError('the document is not one JSON object');
          seenRoot = true;
        }
        if (stack.length === 1 && rootName === container && code === openBrace) inContainer = true;
        if (stack.length === 2 && inContainer && capture === undefined) {
          capture = [];
          captureStart = index;
          captureLength = 0;
        }
        stack.push(code);
        expectName = code === openBrace;
        continue;
      }
      if (code === closeBrace || code === closeBracket) {
        const open = stack.pop();
        if (open === undefined || (open === openBrace) !== (code === closeBrace)) throw new JsonStreamError('brackets do not match');
        if (stack.length === 2 && inContainer && capture !== undefined) {
          capture.push(text.slice(captureStart, index + 1));
          if (captureLength + index + 1 - captureStart > maximumMemberLength) throw new JsonStreamError(`a member of '${container}' is longer than ${maximumMemberLength} characters`);
          const value = capture.join('');
          capture = undefined;
          yield { name: memberName ?? '', text: value };
          memberName = undefined;
        } else if (stack.length === 1 && inContainer) {
          inContainer = false;
        }
        expectName = false;
        continue;
      }
      // A scalar value (number, true, false, null). As a member of the container it is not a
      // customer entry at all: the document is not in the expected shape.
      if (stack.length === 2 && inContainer && capture === undefined) throw new JsonStreamError(`a member of '${container}' is not an object`);
    }
    if (inString && stringStart >= 0) {
      stringParts.push(text.slice(stringStart));
      stringStart = 0;
    }
    if (capture !== undefined) {
      capture.push(text.slice(captureStart));
      captureLength += text.length - captureStart;
      if (captureLength > maximumMemberLength) throw new JsonStreamError(`a member of '${container}' is longer than ${maximumMemberLength} characters`);
    }
  }
  if (stack.length > 0 || inString) throw new JsonStreamError('the document ends early (truncated file)');
  if (!seenRoot) throw new JsonStreamError('the document is empty');
}
