import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';
import type { PlatformCart } from '../ports/commerce-platform/v1/commerce-platform.js';
import { parseSession, type SessionParseFailureKind, type SessionV2 } from './session-schema.js';
import { serializeSession } from './session-values.js';

/** Journal collection of quarantined sessions (key: session key, index: the kind). */
export const sessionQuarantineCollection = 'session-quarantine';

/** Why a session was quarantined: a parse failure, or a value larger than the target accepts. */
export type SessionQuarantineKind = SessionParseFailureKind | 'too-large';

/**
 * What became of the rebuild of a quarantined session:
 * - `rebuilt`: rebuilt from the platform's cart and written to the target (or found there, written by an earlier run);
 * - `superseded`: the target already held another session under the key (a live write): kept;
 * - `no-cart-id`: no cart id could be recovered from the damaged text;
 * - `no-platform`: no platform was configured;
 * - `cart-not-found`: the platform has no such cart (any more);
 * - `cart-unusable`: the platform's cart does not make a valid session;
 * - `platform-error`: the platform call failed (the next run tries again).
 */
export type SessionRebuildOutcome = 'rebuilt' | 'superseded' | 'no-cart-id' | 'no-platform' | 'cart-not-found' | 'cart-unusable' | 'platform-error';

/**
 * A quarantined session (collection `session-quarantine`). Holds what an operator needs to find
 * and judge it; the raw text only when it holds no cardholder data, never otherwise.
 */
export interface SessionQuarantineRecord {
  /** The session migration that found it. */
  readonly migrationId: string;
  /** The session key. */
  readonly key: string;
  /** Why. */
  readonly kind: SessionQuarantineKind;
  /** Details: paths and rules, no session data. */
  readonly reason: string;
  /** When it was found, epoch milliseconds. */
  readonly detectedAt: number;
  /** Length of the raw text, UTF-16 code units. */
  readonly rawLength: number;
  /** SHA-256 (hex) of the raw text, to match it against the source later. */
  readonly sha256: string;
  /** The raw text, kept only when it holds no cardholder data. */
  readonly raw?: string | undefined;
  /** The platform cart id recovered from the raw text, when one was. */
  readonly cartId?: string | undefined;
  /** What became of the rebuild. */
  readonly rebuild: SessionRebuildOutcome;
  /** Why the rebuild did not happen, for `platform-error` and `cart-unusable`. */
  readonly rebuildDetail?: string | undefined;
}

const cartIdPattern = /"(?:cartId|cart_id|cartID)"\s*:\s*"([^"\\]{1,256})"/;

/**
 * Recovers a platform cart id from a session's raw text, even when the text is not valid JSON
 * (a truncated value still starts with its fields). `undefined` when there is none, or when what
 * looks like one holds card data.
 */
export function recoverCartId(raw: string): string | undefined {
  const found = cartIdPattern.exec(raw)?.[1];
  if (found === undefined || findSensitiveDataInText(found).length > 0) return undefined;
  return found;
}

/**
 * A session rebuilt from a platform cart: the cart's lines and customer, no preferences, no
 * checkout (a checkout restarts), `updatedAt` = the cart's, so that rebuilding the same cart twice
 * gives the same text. `undefined` when the cart does not make a valid session.
 */
export function sessionFromPlatformCart(cart: PlatformCart): { readonly session: SessionV2; readonly text: string } | undefined {
  const candidate: SessionV2 = {
    schemaVersion: 2,
    customerId: cart.customerId,
    cartId: cart.cartId,
    cart: {
      currency: cart.currency,
      lines: cart.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice.toJSON(), title: line.title })),
    },
    preferences: {},
    updatedAt: cart.updatedAt,
  };
  // Validated like any session (schema and card data): a platform is an outside system.
  const parsed = parseSession(serializeSession(candidate));
  return parsed.ok ? { session: parsed.session, text: serializeSession(parsed.session) } : undefined;
}
