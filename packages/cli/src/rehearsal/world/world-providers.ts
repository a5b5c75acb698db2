import { createHash } from 'node:crypto';
import { type CardBrand, Money, type WebhookRequest } from '@paymigrate/core';
import {
  type AdyenFake,
  adyenFakeDefaults,
  adyenTestTokens,
  createAdyenFake,
  createPayPalFake,
  createStripeFake,
  type LoopbackHttpServer,
  type PayPalFake,
  payPalSandboxBaseUrl,
  serveOverHttp,
  type StripeFake,
} from '@paymigrate/testkit';
import { payPalWebhookEventTable } from '@paymigrate/provider-paypal';
import { stripeWebhookEventTypes } from '@paymigrate/provider-stripe';
import { getResponse } from 'msw';
import type { SupportedProvider } from '../../config/config-schema.js';
import { type ProviderOrigins, type ProviderPaymentFact, type QueuedWebhook, type StoredCardFact, worldCredentials, worldReferencePrefix } from './world-protocol.js';

/**
 * A network transaction id as Visa issues them: 15 digits (derived from the card's id, so a run is
 * reproducible). Some pass the Luhn check in a card brand's range, as real ones do: the PCI guard
 * must know them by their field name, not mistake them for card numbers.
 */
function visaStyleNetworkTransactionId(cardId: string): string {
  const digest = createHash('sha256').update(cardId).digest();
  return Array.from(digest.subarray(0, 15), (byte) => String(byte % 10)).join('');
}

/** The card brands the world hands out (every provider of the rehearsal takes them). */
export const worldCardBrands = ['visa', 'mastercard', 'amex'] as const;

/** One of `worldCardBrands`. */
export type WorldCardBrand = (typeof worldCardBrands)[number];

/** The Stripe origin the fake's routes are registered for. */
const stripeOrigin = 'https://api.stripe.com';

/** The return URL of the world's own Adyen calls. */
const worldReturnUrl = 'https://world.paymigrate.invalid/return';

/**
 * The event types the shop's webhook endpoints subscribe to at each provider, as a shop would
 * configure them: the payment events the adapters act on. Card-vaulting events are left out: the
 * Transaction State Manager records saved cards from the payment's own answer.
 */
const subscribedStripeEvents: ReadonlySet<string> = new Set(Object.keys(stripeWebhookEventTypes).filter((type) => type !== 'payment_method.attached'));
const subscribedPayPalEvents: ReadonlySet<string> = new Set(Object.keys(payPalWebhookEventTable).filter((type) => !type.startsWith('VAULT.')));

/** True when an Adyen notification is about one of the shop's payments (not a world card verification, not a stored-card contract). */
function isShopAdyenNotification(request: WebhookRequest): boolean {
  try {
    const body = JSON.parse(request.rawBody) as { notificationItems?: { NotificationRequestItem?: { merchantReference?: string; eventCode?: string } }[] };
    const item = body.notificationItems?.[0]?.NotificationRequestItem;
    return item !== undefined && item.eventCode !== 'RECURRING_CONTRACT' && !(item.merchantReference ?? '').startsWith(worldReferencePrefix);
  } catch {
    /* v8 ignore next -- the fake signs JSON bodies only */
    return true;
  }
}

/** A webhook as queued: Stripe and PayPal events are signed when delivered (their signatures carry a time). */
type PendingWebhook =
  | { readonly sequence: number; readonly kind: 'stripe'; readonly event: Record<string, unknown> }
  | { readonly sequence: number; readonly kind: 'paypal'; readonly event: Parameters<PayPalFake['signedWebhook']>[0] }
  | { readonly sequence: number; readonly kind: 'adyen'; readonly request: WebhookRequest };

/** The three provider fakes of the world, served on loopback, with what the world does to them. */
export interface WorldProviders {
  /** The loopback origins the gateways are pointed at. */
  readonly origins: ProviderOrigins;
  /** Stores a card for a customer at a provider (the customer entered it there earlier, or an import created it). */
  saveCard(provider: SupportedProvider, input: { readonly customerId: string; readonly customerReference?: string | undefined; readonly brand: WorldCardBrand }): Promise<StoredCardFact>;
  /** The stored card behind a token, when the provider holds it. */
  findCard(provider: SupportedProvider, token: string, customerReference: string): StoredCardFact | undefined;
  /** Charges (and captures) directly at a provider under a merchant reference: the injected double charge. */
  chargeDirect(provider: SupportedProvider, input: { readonly merchantReference: string; readonly amountMinor: number; readonly currency: string }): Promise<void>;
  /** Every merchant payment at every provider, normalized. */
  payments(): ProviderPaymentFact[];
  /** Moves the fakes' new webhooks into the delivery queues. */
  collectWebhooks(): void;
  /** Up to `limit` unacknowledged webhooks of a provider, oldest first, signed now. */
  pendingWebhooks(provider: SupportedProvider, limit: number): QueuedWebhook[];
  /** Forgets delivered webhooks; answers how many remain. */
  acknowledgeWebhooks(provider: SupportedProvider, sequences: readonly number[]): number;
  /** Stops the loopback servers. */
  close(): Promise<void>;
}

/** Minor units of a decimal amount string. */
function minorOf(decimal: string, currency: string): number {
  return Number(Money.fromDecimal(decimal, currency).toJSON().minorUnits);
}

/** The core brand of a provider's brand spelling. */
function coreBrand(brand: string): CardBrand {
  const lower = brand.toLowerCase();
  if (lower === 'mc' || lower === 'mastercard') return 'mastercard';
  if (lower === 'visa') return 'visa';
  if (lower === 'amex') return 'amex';
  return 'unknown';
}

/** Reads a string field of a JSON object. */
function text(value: Record<string, unknown>, field: string): string | undefined {
  const found = value[field];
  return typeof found === 'string' ? found : undefined;
}

/** Reads a number field of a JSON object (0 when absent). */
function amount(value: Record<string, unknown>, field: string): number {
  const found = value[field];
  return typeof found === 'number' ? found : 0;
}

/** The previous network transaction reference a PayPal stored-credential charge carried. */
function payPalNetworkReference(storedCredential: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const reference = storedCredential?.['previous_network_transaction_reference'];
  if (typeof reference !== 'object' || reference === null) return undefined;
  const id = (reference as Record<string, unknown>)['id'];
  return typeof id === 'string' ? id : undefined;
}

/** Calls one of the world's own fakes in process, through its msw handlers. */
async function callFake(handlers: Parameters<typeof getResponse>[0], request: Request): Promise<Record<string, unknown>> {
  const response = await getResponse(handlers, request);
  /* v8 ignore next 3 -- every fake route answers */
  if (response === undefined) throw new Error(`world: no fake route for ${request.method} ${request.url}`);
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status >= 400) throw new Error(`world: ${request.method} ${new URL(request.url).pathname} answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

/**
 * Creates the three provider fakes, serves each on a loopback port, and gives the world its
 * provider-side powers: storing cards, reading every payment, queueing webhooks.
 */
export async function createWorldProviders(options: { readonly seed: number }): Promise<WorldProviders> {
  const stripe: StripeFake = createStripeFake({ seed: options.seed, apiKey: worldCredentials.stripe.apiKey, webhookSecret: worldCredentials.stripe.webhookSecret, recordCalls: false });
  const paypal: PayPalFake = createPayPalFake({
    seed: options.seed,
    clientId: worldCredentials.paypal.clientId,
    clientSecret: worldCredentials.paypal.clientSecret,
    webhookId: worldCredentials.paypal.webhookId,
    webhookSecret: worldCredentials.paypal.webhookSecret,
    recordCalls: false,
  });
  const adyen: AdyenFake = createAdyenFake({
    seed: options.seed,
    apiKey: worldCredentials.adyen.apiKey,
    merchantAccount: worldCredentials.adyen.merchantAccount,
    hmacKey: worldCredentials.adyen.hmacKey,
    recordCalls: false,
  });
  const servers: Record<SupportedProvider, LoopbackHttpServer> = {
    stripe: await serveOverHttp(stripe.handlers, { rewriteOrigin: stripeOrigin }),
    paypal: await serveOverHttp(paypal.handlers, { rewriteOrigin: payPalSandboxBaseUrl }),
    adyen: await serveOverHttp(adyen.handlers, { rewriteOrigin: new URL(adyenFakeDefaults.baseUrl).origin }),
  };
  const cards = new Map<string, StoredCardFact>();
  const queue: PendingWebhook[] = [];
  let nextSequence = 1;
  let worldCalls = 0;

  const cardKey = (provider: string, token: string): string => `${provider}:${token}`;

  const remember = (card: StoredCardFact): StoredCardFact => {
    cards.set(cardKey(card.provider, card.token), card);
    return card;
  };

  const saveStripeCard = (customerId: string, customerReference: string | undefined, brand: WorldCardBrand): StoredCardFact => {
    const customer = customerReference ?? String(stripe.createCustomer({ metadata: { customer_id: customerId } }).id);
    const method = stripe.attachCard({ customer, token: `pm_card_${brand}` as 'pm_card_visa' });
    const card = method.card as Record<string, unknown>;
    return remember({
      provider: 'stripe',
      customerId,
      customerReference: customer,
      token: String(method.id),
      card: {
        brand: coreBrand(String(card.brand)),
        last4: String(card.last4),
        expiryMonth: Number(card.exp_month),
        expiryYear: Number(card.exp_year),
        fingerprint: text(card, 'fingerprint'),
      },
      networkTransactionId: visaStyleNetworkTransactionId(String(method.id)),
    });
  };

  const savePayPalCard = (customerId: string, customerReference: string | undefined, brand: WorldCardBrand): StoredCardFact => {
    const stored = paypal.vaultCard({ customerId: customerReference ?? customerId, testToken: brand });
    const [year, month] = stored.expiry.split('-');
    return remember({
      provider: 'paypal',
      customerId,
      customerReference: stored.customerId,
      token: stored.vaultId,
      card: { brand: coreBrand(stored.brand), last4: stored.lastDigits, expiryMonth: Number(month), expiryYear: Number(year), fingerprint: stored.fingerprint },
      networkTransactionId: stored.networkTransactionId,
    });
  };

  const saveAdyenCard = async (customerId: string, customerReference: string | undefined, brand: WorldCardBrand): Promise<StoredCardFact> => {
    worldCalls += 1;
    const shopperReference = customerReference ?? customerId;
    const answer = await callFake(
      adyen.handlers,
      new Request(`${adyenFakeDefaults.baseUrl}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': worldCredentials.adyen.apiKey },
        body: JSON.stringify({
          merchantAccount: worldCredentials.adyen.merchantAccount,
          amount: { value: 0, currency: 'EUR' },
          reference: `${worldReferencePrefix}card-${customerId}-${worldCalls}`,
          paymentMethod: JSON.parse(adyenTestTokens[brand]) as Record<string, unknown>,
          shopperReference,
          storePaymentMethod: true,
          shopperInteraction: 'Ecommerce',
          recurringProcessingModel: 'CardOnFile',
          returnUrl: worldReturnUrl,
        }),
      }),
    );
    const additionalData = answer.additionalData as Record<string, unknown>;
    const token = String(additionalData['tokenization.storedPaymentMethodId']);
    const stored = adyen.storedPaymentMethods(shopperReference).find((method) => method.id === token);
    /* v8 ignore next -- the fake stores every authorised card it was asked to store */
    if (stored === undefined) throw new Error(`world: Adyen did not store the card of ${customerId}`);
    return remember({
      provider: 'adyen',
      customerId,
      customerReference: shopperReference,
      token,
      card: {
        brand: coreBrand(stored.card.brand),
        last4: stored.card.lastFour,
        expiryMonth: Number(stored.card.expiryMonth),
        expiryYear: Number(stored.card.expiryYear),
        fingerprint: stored.card.fingerprint,
      },
      networkTransactionId: stored.networkTxReference,
    });
  };

  const payPalAccessToken = async (): Promise<string> => {
    const answer = await callFake(
      paypal.handlers,
      new Request(`${payPalSandboxBaseUrl}/v1/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${worldCredentials.paypal.clientId}:${worldCredentials.paypal.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }),
    );
    return String(answer.access_token);
  };

  const chargeDirect = async (provider: SupportedProvider, input: { readonly merchantReference: string; readonly amountMinor: number; readonly currency: string }): Promise<void> => {
    worldCalls += 1;
    const key = `${worldReferencePrefix}direct-${worldCalls}`;
    if (provider === 'stripe') {
      const body = new URLSearchParams({
        amount: String(input.amountMinor),
        currency: input.currency.toLowerCase(),
        payment_method: 'pm_card_visa',
        'payment_method_types[0]': 'card',
        confirm: 'true',
        'metadata[merchant_reference]': input.merchantReference,
      });
      await callFake(
        stripe.handlers,
        new Request(`${stripeOrigin}/v1/payment_intents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${worldCredentials.stripe.apiKey}`, 'idempotency-key': key, 'content-type': 'application/x-www-form-urlencoded' },
          body,
        }),
      );
      return;
    }
    if (provider === 'adyen') {
      await callFake(
        adyen.handlers,
        new Request(`${adyenFakeDefaults.baseUrl}/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': worldCredentials.adyen.apiKey },
          body: JSON.stringify({
            merchantAccount: worldCredentials.adyen.merchantAccount,
            amount: { value: input.amountMinor, currency: input.currency },
            reference: input.merchantReference,
            paymentMethod: JSON.parse(adyenTestTokens.visa) as Record<string, unknown>,
            returnUrl: worldReturnUrl,
          }),
        }),
      );
      return;
    }
    const token = await payPalAccessToken();
    const value = Money.of(input.amountMinor, input.currency).toDecimalString();
    await callFake(
      paypal.handlers,
      new Request(`${payPalSandboxBaseUrl}/v2/checkout/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'paypal-request-id': key },
        body: JSON.stringify({
          intent: 'CAPTURE',
          purchase_units: [{ amount: { currency_code: input.currency, value }, custom_id: input.merchantReference, invoice_id: input.merchantReference }],
          payment_source: { card: { vault_id: 'test-visa-approved' } },
        }),
      }),
    );
  };

  const stripePayments = (): ProviderPaymentFact[] => {
    const charges = new Map(stripe.charges().map((charge) => [String(charge.id), charge]));
    return stripe.paymentIntents().flatMap((intent): ProviderPaymentFact[] => {
      const metadata = (intent.metadata ?? {}) as Record<string, unknown>;
      const merchantReference = text(metadata, 'merchant_reference');
      if (merchantReference === undefined || merchantReference.startsWith(worldReferencePrefix)) return [];
      const status = String(intent.status);
      const charge = typeof intent.latest_charge === 'string' ? charges.get(intent.latest_charge) : undefined;
      const captured = amount(intent, 'amount_received');
      const chargeAmount = charge === undefined ? 0 : amount(charge, 'amount');
      const released = charge !== undefined && (status === 'succeeded' || status === 'canceled') ? chargeAmount - amount(charge, 'amount_captured') : 0;
      const refunded = charge === undefined ? 0 : amount(charge, 'amount_refunded') - released;
      return [
        {
          provider: 'stripe',
          providerReference: String(intent.id),
          merchantReference,
          currency: String(intent.currency).toUpperCase(),
          amountMinor: amount(intent, 'amount'),
          heldMinor: status === 'requires_capture' ? amount(intent, 'amount_capturable') : 0,
          capturedMinor: captured,
          refundedMinor: refunded,
          status,
          networkTransactionIdSent: stripe.paymentIntentRequest(String(intent.id))?.mitExemptionNetworkTransactionId ?? undefined,
        },
      ];
    });
  };

  const payPalPayments = (): ProviderPaymentFact[] =>
    paypal.payments().flatMap((payment): ProviderPaymentFact[] => {
      const merchantReference = payment.customId ?? payment.invoiceId;
      if (merchantReference === undefined || merchantReference.startsWith(worldReferencePrefix)) return [];
      const currency = payment.amount.currency_code;
      const capturedMinor = payment.captures
        .filter((capture) => ['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(capture.status))
        .reduce((sum, capture) => sum + minorOf(capture.value, currency), 0);
      const refundedMinor = payment.captures.reduce((sum, capture) => sum + minorOf(capture.refundedValue, currency), 0);
      const authorizedMinor = payment.authorizations
        .filter((authorization) => ['CREATED', 'PARTIALLY_CAPTURED', 'PENDING'].includes(authorization.status))
        .reduce((sum, authorization) => sum + minorOf(authorization.value, currency), 0);
      const capturedOfAuthorizations = payment.intent === 'AUTHORIZE' ? capturedMinor : 0;
      return [
        {
          provider: 'paypal',
          providerReference: payment.orderId,
          merchantReference,
          currency,
          amountMinor: minorOf(payment.amount.value, currency),
          heldMinor: Math.max(0, authorizedMinor - capturedOfAuthorizations),
          capturedMinor,
          refundedMinor,
          status: payment.status,
          networkTransactionIdSent: payPalNetworkReference(payment.storedCredential),
        },
      ];
    });

  const adyenPayments = (): ProviderPaymentFact[] =>
    adyen.payments().flatMap((payment): ProviderPaymentFact[] => {
      if (payment.merchantReference.startsWith(worldReferencePrefix)) return [];
      const held = payment.cancelled ? 0 : Math.max(0, payment.authorisedValue - payment.capturedValue);
      return [
        {
          provider: 'adyen',
          providerReference: payment.pspReference,
          merchantReference: payment.merchantReference,
          currency: payment.amount.currency,
          amountMinor: payment.amount.value,
          heldMinor: held,
          capturedMinor: payment.capturedValue,
          refundedMinor: payment.refundedValue,
          status: payment.resultCode,
          networkTransactionIdSent: payment.receivedNetworkTxReference,
        },
      ];
    });

  const sign = (pending: PendingWebhook): WebhookRequest => {
    switch (pending.kind) {
      case 'stripe':
        return stripe.signedWebhook(pending.event);
      case 'paypal':
        return paypal.signedWebhook(pending.event);
      case 'adyen':
        return pending.request;
    }
  };

  return {
    origins: { stripe: servers.stripe.url, paypal: servers.paypal.url, adyen: servers.adyen.url },
    async saveCard(provider, input) {
      if (provider === 'stripe') return saveStripeCard(input.customerId, input.customerReference, input.brand);
      if (provider === 'paypal') return savePayPalCard(input.customerId, input.customerReference, input.brand);
      return saveAdyenCard(input.customerId, input.customerReference, input.brand);
    },
    findCard(provider, token, customerReference) {
      const card = cards.get(cardKey(provider, token));
      return card !== undefined && card.customerReference === customerReference ? card : undefined;
    },
    chargeDirect,
    payments: () => [...stripePayments(), ...payPalPayments(), ...adyenPayments()],
    collectWebhooks() {
      for (const event of stripe.takePendingWebhooks()) {
        if (subscribedStripeEvents.has(String(event.type))) queue.push({ sequence: nextSequence++, kind: 'stripe', event });
      }
      for (const webhook of paypal.takeWebhooks()) {
        if (subscribedPayPalEvents.has(webhook.event.event_type)) queue.push({ sequence: nextSequence++, kind: 'paypal', event: webhook.event });
      }
      for (const request of adyen.takePendingWebhooks()) {
        if (isShopAdyenNotification(request)) queue.push({ sequence: nextSequence++, kind: 'adyen', request });
      }
    },
    pendingWebhooks(provider, limit) {
      return queue
        .filter((pending) => pending.kind === provider)
        .slice(0, limit)
        .map((pending) => ({ sequence: pending.sequence, request: sign(pending) }));
    },
    acknowledgeWebhooks(provider, sequences) {
      const done = new Set(sequences);
      for (let index = queue.length - 1; index >= 0; index -= 1) {
        const pending = queue[index] as PendingWebhook;
        if (pending.kind === provider && done.has(pending.sequence)) queue.splice(index, 1);
      }
      return queue.filter((pending) => pending.kind === provider).length;
    },
    async close() {
      await Promise.all(Object.values(servers).map((server) => server.close()));
    },
  };
}
