import { ConfigurationError } from '../errors/configuration-error.js';
import type { TokenMapping } from '../tokens/token-mapping.js';
import type { TransactionResult, TransactionStateManager } from '../transactions/transaction-types.js';
import type { RoutingDecision } from './routing-types.js';
import type { SplitLegOperationResult, SplitPaymentExecutor, SplitPaymentLeg } from './split-cart.js';

/** The payment method a leg is paid with, at the leg's provider (each provider has its own). */
export interface LegPaymentMethod {
  /** The provider's token of the payment method (never a card number). */
  readonly paymentMethodToken: string;
  /**
   * The provider's customer reference owning the token (`cus_…`, a `shopperReference`): required
   * to pay with a stored card, absent for a one-off card token.
   */
  readonly customerReference?: string | undefined;
}

/** What `createTransactionSplitExecutor` needs. */
export interface TransactionSplitExecutorOptions {
  /** The Transaction State Manager (or anything with its four operations). */
  readonly transactions: Pick<TransactionStateManager, 'authorize' | 'capture' | 'cancel' | 'refund'>;
  /** The router the TSM selects with: each leg's provider is pinned before its authorization. */
  readonly router: { pin(input: { paymentId: string; provider: string; reason: string; cohort?: string | undefined }): Promise<RoutingDecision> };
  /**
   * The leg's payment method at its provider: token and customer reference (a stored card has one
   * per provider, e.g. `storedCardLegPaymentMethods(mapping)` from the token map). `undefined` when
   * the customer has none there: that leg fails without a provider call and the others are voided.
   * Give this or `paymentMethodToken`.
   */
  readonly paymentMethod?: ((leg: SplitPaymentLeg) => LegPaymentMethod | undefined | Promise<LegPaymentMethod | undefined>) | undefined;
  /** The provider token of a one-off payment method, per leg (no customer reference). Give this or `paymentMethod`. */
  readonly paymentMethodToken?: ((leg: SplitPaymentLeg) => string) | undefined;
  /** The platform's customer id. */
  readonly customerId?: string | undefined;
  /** The merchant reference of a leg. @default the leg id */
  readonly merchantReference?: ((leg: SplitPaymentLeg) => string) | undefined;
}

/**
 * The payment methods of one stored card across the migration, from its token-map entry: a leg on
 * the source provider pays with the source token and customer reference, a leg on the target
 * provider with the migrated token and the target customer reference (only when the card was moved:
 * status `mapped`); any other provider has no payment method of this card (`undefined`).
 *
 * @example createTransactionSplitExecutor({ transactions, router, customerId, paymentMethod: storedCardLegPaymentMethods(mapping) })
 */
export function storedCardLegPaymentMethods(
  mapping: Pick<TokenMapping, 'source' | 'target' | 'status'>,
): (leg: Pick<SplitPaymentLeg, 'provider'>) => LegPaymentMethod | undefined {
  return (leg) => {
    if (leg.provider === mapping.source.provider) return { paymentMethodToken: mapping.source.token, customerReference: mapping.source.customerReference };
    const target = mapping.status === 'mapped' ? mapping.target : undefined;
    if (target !== undefined && leg.provider === target.provider) return { paymentMethodToken: target.token, customerReference: target.customerReference };
    return undefined;
  };
}

/** The status of a TSM result as a leg operation status. */
function legStatusOf(result: TransactionResult, succeededStates: readonly string[]): SplitLegOperationResult {
  if (result.status === 'succeeded' && succeededStates.includes(result.payment.state)) return { status: 'succeeded' };
  if (result.status === 'failed') return { status: 'failed', detail: result.declineReason ?? result.errorCode ?? 'failed' };
  return { status: 'unknown', detail: `intent ${result.status}, payment ${result.payment.state}` };
}

/**
 * A split-payment executor on the Transaction State Manager: each leg is a payment of its own (id =
 * leg id), pinned to the leg's provider through the router (`pin`) so the TSM's `select` returns
 * it, and paid with the leg's own payment method at that provider (token and customer reference);
 * authorization with manual capture, then capture, void and refund of the whole leg (sequence 1).
 *
 * @throws ConfigurationError when neither or both of `paymentMethod` and `paymentMethodToken` are given.
 */
export function createTransactionSplitExecutor(options: TransactionSplitExecutorOptions): SplitPaymentExecutor {
  const { transactions, router } = options;
  if ((options.paymentMethod === undefined) === (options.paymentMethodToken === undefined)) {
    throw new ConfigurationError({
      option: 'paymentMethod',
      problem: 'and paymentMethodToken were both given or both missing',
      fix: 'pass exactly one: paymentMethod (token and customer reference per leg, e.g. storedCardLegPaymentMethods(mapping)) for a stored card, or paymentMethodToken for one-off tokens',
    });
  }
  const oneOffToken = options.paymentMethodToken;
  const paymentMethodOf = options.paymentMethod ?? ((leg: SplitPaymentLeg): LegPaymentMethod => ({ paymentMethodToken: (oneOffToken as (leg: SplitPaymentLeg) => string)(leg) }));
  const merchantReference = options.merchantReference ?? ((leg: SplitPaymentLeg) => leg.legId);
  return Object.freeze({
    authorize: async (leg: SplitPaymentLeg): Promise<SplitLegOperationResult> => {
      const method = await paymentMethodOf(leg);
      if (method === undefined) return { status: 'failed', detail: `the customer has no payment method on ${leg.provider} for leg ${leg.legId}` };
      const pinned = await router.pin({ paymentId: leg.legId, provider: leg.provider, reason: `split cart leg: ${leg.reason}`, cohort: 'split-cart' });
      if (pinned.provider !== leg.provider) return { status: 'failed', detail: `payment ${leg.legId} is already pinned to ${pinned.provider}` };
      const result = await transactions.authorize({
        paymentId: leg.legId,
        merchantReference: merchantReference(leg),
        amount: leg.amount,
        paymentMethodToken: method.paymentMethodToken,
        customerReference: method.customerReference,
        customerId: options.customerId,
        captureMethod: 'manual',
      });
      return legStatusOf(result, ['authorized']);
    },
    capture: async (leg: SplitPaymentLeg) => legStatusOf(await transactions.capture({ paymentId: leg.legId, sequence: 1 }), ['captured']),
    cancel: async (leg: SplitPaymentLeg) => legStatusOf(await transactions.cancel({ paymentId: leg.legId, sequence: 1 }), ['voided']),
    refund: async (leg: SplitPaymentLeg) => legStatusOf(await transactions.refund({ paymentId: leg.legId, amount: leg.amount, sequence: 1 }), ['refunded']),
  });
}
