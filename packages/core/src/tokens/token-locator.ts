import type { TokenLocation, TokenLocator } from '../routing/routing-types.js';
import type { StoredTokenMapping, TokenVault } from './token-vault.js';

/** Options of `createTokenLocator`. */
export interface TokenLocatorOptions {
  /**
   * The provider renewals should be charged on when the customer has a token there: the new
   * provider during and after the cutover, the old one after a rollback.
   */
  readonly preferredProvider: () => string;
  /** Who reads the vault (audit log). @default 'token-locator' */
  readonly actor?: string | undefined;
}

interface Candidate {
  readonly location: TokenLocation;
  readonly savedAt: number;
}

function candidatesOf(stored: StoredTokenMapping): Candidate[] {
  const { mapping } = stored;
  const candidates: Candidate[] = [
    {
      location: { provider: mapping.source.provider, token: mapping.source.token, customerReference: mapping.source.customerReference, networkTransactionId: mapping.networkTransactionId },
      savedAt: mapping.createdAt,
    },
  ];
  // A target token is usable only when the move succeeded (and, if verified, the verification passed).
  if (mapping.status === 'mapped' && mapping.target !== undefined) {
    candidates.push({
      location: { provider: mapping.target.provider, token: mapping.target.token, customerReference: mapping.target.customerReference, networkTransactionId: mapping.networkTransactionId },
      savedAt: mapping.createdAt,
    });
  }
  return candidates;
}

/**
 * The router's and the TSM's `TokenLocator` over the vault: for a customer id, where to charge a
 * merchant-initiated renewal, with the network transaction id to carry.
 *
 * - A token on the preferred provider wins (the most recently saved card when there are several).
 * - A card that could not be moved (`recollect`) has no token on the new provider: its renewals stay
 *   on the old provider until the customer saves a card again, which then wins.
 * - Only the customer's own mappings are decrypted (customer index), and each read is audited.
 */
export function createTokenLocator(vault: TokenVault, options: TokenLocatorOptions): TokenLocator {
  const actor = options.actor ?? 'token-locator';
  return {
    async locate(customerId: string): Promise<TokenLocation | undefined> {
      const stored = await vault.readCustomer(customerId, { actor, purpose: 'renewal' });
      const candidates = stored.flatMap(candidatesOf).sort((left, right) => right.savedAt - left.savedAt);
      const preferred = options.preferredProvider();
      return (candidates.find((candidate) => candidate.location.provider === preferred) ?? candidates[0])?.location;
    },
  };
}
