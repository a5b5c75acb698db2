import type { TokenExchangeV1, TokenImportInput, TokenImportResult, TokenVerificationInput, TokenVerificationResult } from '@paymigrate/core';
import type { SupportedProvider } from '../../config/config-schema.js';
import type { WorldClient } from './world-client.js';

/**
 * A provider's token import API in the world, as a `TokenExchangeV1`: the provider receives a
 * card from another provider (processor to processor; the shop never sees the number) and answers
 * its own token. The Token Migration Engine uses it for the delta and reverse syncs and for the
 * zero-amount verification (the world checks the token exists at the provider).
 */
export function createWorldTokenExchange(world: WorldClient, provider: SupportedProvider): TokenExchangeV1 {
  return Object.freeze({
    specificationVersion: 'v1' as const,
    provider,
    async importPaymentMethod(input: TokenImportInput): Promise<TokenImportResult> {
      const [row] = await world.call('importCards', {
        sourceProvider: input.sourceProvider as SupportedProvider,
        targetProvider: provider,
        cards: [{ sourceToken: input.sourceToken, sourceCustomerReference: input.sourceCustomerReference }],
      });
      /* v8 ignore next -- the world answers one row per card */
      if (row === undefined) return { status: 'rejected', reason: 'provider_rejected', detail: 'no answer' };
      if (row.status === 'rejected') return { status: 'rejected', reason: row.reason };
      return { status: 'imported', token: row.target.token, customerReference: row.target.customerReference, card: row.target.card, networkTransactionId: row.target.networkTransactionId };
    },
    async verifyPaymentMethod(input: TokenVerificationInput): Promise<TokenVerificationResult> {
      const { verified } = await world.call('verifyCard', { provider, token: input.token, customerReference: input.customerReference });
      return verified ? { verified } : { verified, declineReason: 'token_not_found' };
    },
  });
}
