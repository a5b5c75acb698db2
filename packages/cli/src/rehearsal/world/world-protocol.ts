import type { CardSummary, MoneyJson, OrderState, PlatformCancelInput, PlatformPaymentUpdate, WebhookRequest } from '@paymigrate/core';
import type { SupportedProvider } from '../../config/config-schema.js';
import type { MappingFileFormatName } from '../../runtime/mapping-file-formats.js';

/**
 * The rehearsal's world: everything outside the merchant's application (the payment providers,
 * the commerce platform, the two session stores, and the customers' own receipts). It runs in its
 * own process so that it outlives a crash of the rehearsal, as the real providers would; the
 * rehearsal talks to the providers through their real adapters over loopback HTTP, and to the
 * rest through this small JSON protocol.
 */

/** The header carrying the world's access token on every control call. */
export const worldTokenHeader = 'x-paymigrate-world-token';

/** Fixed, fake credentials of the world's provider fakes (test-mode shapes; nothing real). */
export const worldCredentials = {
  stripe: { apiKey: 'sk_test_paymigrate_rehearsal_world', webhookSecret: 'whsec_paymigrate_rehearsal_world' },
  paypal: {
    clientId: 'paymigrate-rehearsal-client',
    clientSecret: 'paymigrate-rehearsal-secret',
    webhookId: 'WH-PAYMIGRATE-REHEARSAL',
    webhookSecret: 'paymigrate-rehearsal-webhook-secret',
  },
  adyen: {
    apiKey: 'AQEpaymigrateRehearsalWorldApiKey000',
    merchantAccount: 'PaymigrateRehearsalMerchant',
    hmacKey: '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056',
  },
} as const;

/** Merchant references of payments the world makes itself (card verifications, injected faults): never the merchant's. */
export const worldReferencePrefix = 'world-';

/** Faults the world can inject, to prove the rehearsal's checks find them. */
export interface WorldFaults {
  /** Every n-th acknowledged checkout is also charged at the other provider under the same merchant reference. */
  readonly doubleChargeEvery?: number | undefined;
  /** The n-th session written is later removed from both stores behind the application's back. */
  readonly dropSessionNumber?: number | undefined;
  /** The first captured order is moved back to `authorized` on the platform behind the application's back. */
  readonly rewindFirstPaidOrder?: boolean | undefined;
}

/** What `startWorld` needs. */
export interface WorldOptions {
  /** Seed of the fakes' id generators. */
  readonly seed: number;
  /** Faults to inject. */
  readonly faults?: WorldFaults | undefined;
  /** Stop when no control call came for this long, milliseconds (an orphaned world cleans up after itself). @default 600000 */
  readonly idleTimeoutMs?: number | undefined;
}

/** Where the world answers. */
export interface WorldEndpoint {
  /** The control API, `http://127.0.0.1:<port>`. */
  readonly controlUrl: string;
  /** The access token of the control API. */
  readonly token: string;
  /** The world's process id (for information; never signalled blindly). */
  readonly processId: number;
  /** A random id of this world instance. */
  readonly worldId: string;
}

/** The loopback origins of the provider fakes. */
export type ProviderOrigins = Readonly<Record<SupportedProvider, string>>;

/** What `ping` answers. */
export interface WorldDescription {
  /** A random id of this world instance. */
  readonly worldId: string;
  /** When it started, epoch milliseconds. */
  readonly startedAt: number;
  /** The provider fakes' loopback origins. */
  readonly providers: ProviderOrigins;
  /** The seed it was started with. */
  readonly seed: number;
}

/** A card stored at a provider for a customer: a token and safe details, never a number. */
export interface StoredCardFact {
  /** The provider holding the token. */
  readonly provider: SupportedProvider;
  /** Our (platform) customer id. */
  readonly customerId: string;
  /** The provider's customer reference (`cus_...`, Adyen `shopperReference`, PayPal customer id). */
  readonly customerReference: string;
  /** The provider's token. */
  readonly token: string;
  /** Safe card details. */
  readonly card: CardSummary;
  /** Network transaction id of the customer-initiated payment that set the card up. */
  readonly networkTransactionId: string | undefined;
}

/** What the seed phase asks the world for. Deterministic from its fields. */
export interface WorldSeedSpecification {
  /** The provider customers' cards live at before the migration. */
  readonly provider: SupportedProvider;
  /** The seed. */
  readonly seed: number;
  /** Customers with a stored card. */
  readonly customers: number;
  /** Open orders on the platform. */
  readonly orders: number;
  /** Active sessions in the old session store. */
  readonly sessions: number;
  /** Currency of every amount. */
  readonly currency: string;
}

/** A seeded customer. */
export interface SeededCustomer {
  /** Our customer id. */
  readonly customerId: string;
  /** The stored card at the old provider. */
  readonly card: StoredCardFact;
  /** Amount of the customer's monthly subscription, when the customer has one. */
  readonly subscription: MoneyJson | undefined;
}

/** A seeded open order. */
export interface SeededOrder {
  /** The platform's order id. */
  readonly orderId: string;
  /** The customer. */
  readonly customerId: string;
  /** Total. */
  readonly total: MoneyJson;
}

/** What the world seeded. */
export interface SeededWorld {
  /** The customers. */
  readonly customers: readonly SeededCustomer[];
  /** The open orders. */
  readonly orders: readonly SeededOrder[];
  /** Keys of the sessions in the old store. */
  readonly sessionKeys: readonly string[];
}

/** Input of `importCards`: the new provider receives cards from the old one (processor to processor) and answers a mapping. */
export interface CardImportRequest {
  /** The provider the cards come from. */
  readonly sourceProvider: SupportedProvider;
  /** The provider that imports them. */
  readonly targetProvider: SupportedProvider;
  /** The cards, by their source token (the customer id defaults to the one the source card belongs to). */
  readonly cards: readonly { readonly customerId?: string | undefined; readonly sourceToken: string; readonly sourceCustomerReference: string }[];
}

/** The new provider is asked to import cards and hand back its mapping file. */
export interface MappingFileExportRequest extends CardImportRequest {
  /** The shop's armored public key: the provider encrypts the file to it. */
  readonly recipientPublicKey: string;
}

/** A mapping file the new provider hands back after importing cards. */
export interface MappingFileExport {
  /** Its format. */
  readonly format: MappingFileFormatName;
  /**
   * Its text (no card numbers: old ids, new ids, card summaries, network transaction ids), as the
   * provider hands it over: PGP-encrypted to the shop's key and signed (armored).
   */
  readonly text: string;
  /** The provider's armored public key, to verify the signature with. */
  readonly signerPublicKey: string;
  /** The rows it holds, for the rehearsal's counts. */
  readonly rows: number;
}

/** One row of the mapping file the new provider hands back. */
export type CardImportRow =
  | {
      /** Imported. */
      readonly status: 'imported';
      /** Our customer id. */
      readonly customerId: string;
      /** The token at the source. */
      readonly sourceToken: string;
      /** The customer reference at the source. */
      readonly sourceCustomerReference: string;
      /** The new card at the target. */
      readonly target: StoredCardFact;
    }
  | {
      /** Not imported. */
      readonly status: 'rejected';
      /** Our customer id. */
      readonly customerId: string;
      /** The token at the source. */
      readonly sourceToken: string;
      /** The customer reference at the source. */
      readonly sourceCustomerReference: string;
      /** Why. */
      readonly reason: 'not_found_at_source' | 'brand_not_supported';
    };

/** A customer's receipt: the world's record that the customer was told "paid". */
export interface CustomerReceipt {
  /** Our payment id. */
  readonly paymentId: string;
  /** The merchant reference. */
  readonly merchantReference: string;
  /** The provider the customer paid at. */
  readonly provider: string;
  /** The provider's payment reference. */
  readonly providerReference: string | undefined;
  /** Amount. */
  readonly amount: MoneyJson;
  /** Order, when the payment was for one. */
  readonly orderId: string | undefined;
  /** Customer. */
  readonly customerId: string | undefined;
  /** What it was: a checkout, a renewal, an order placed before the migration, a split-cart leg. */
  readonly kind: 'checkout' | 'renewal' | 'order' | 'split-leg' | 'drill';
  /** How long the customer waited, milliseconds. */
  readonly latencyMs: number;
  /** When the customer was told, epoch milliseconds. */
  readonly acknowledgedAt: number;
}

/** One payment as a provider holds it, normalized for verification. */
export interface ProviderPaymentFact {
  /** The provider. */
  readonly provider: SupportedProvider;
  /** The provider's reference. */
  readonly providerReference: string;
  /** Our merchant reference, as the provider echoes it. */
  readonly merchantReference: string;
  /** Currency. */
  readonly currency: string;
  /** Amount requested, minor units. */
  readonly amountMinor: number;
  /** Authorized and neither captured nor released, minor units. */
  readonly heldMinor: number;
  /** Captured, minor units. */
  readonly capturedMinor: number;
  /** Refunded, minor units. */
  readonly refundedMinor: number;
  /** The provider's own status. */
  readonly status: string;
  /** The network transaction id a merchant-initiated charge carried (the mandate it continues), when it carried one. */
  readonly networkTransactionIdSent: string | undefined;
}

/** One order as the platform holds it, for verification. */
export interface OrderFact {
  /** The platform's order id. */
  readonly orderId: string;
  /** Total, minor units. */
  readonly totalMinor: number;
  /** Canonical state now. */
  readonly state: OrderState;
  /** Every state change the platform made, oldest first. */
  readonly history: readonly { readonly from: OrderState; readonly to: OrderState }[];
  /** Captures recorded on the order, minor units. */
  readonly capturedMinor: number;
  /** Refunds recorded on the order, minor units. */
  readonly refundedMinor: number;
}

/** Session presence, for verification. */
export interface SessionFacts {
  /** Distinct keys ever written to either store. */
  readonly written: number;
  /** Keys (ever written) now absent from both stores, or present only as a deletion marker. */
  readonly absentKeys: readonly string[];
  /** Live sessions in the old store. */
  readonly inOldStore: number;
  /** Live sessions in the new store. */
  readonly inNewStore: number;
}

/** Everything the verification phase reads from the world. */
export interface WorldTruth {
  /** Every merchant payment at every provider (world payments left out). */
  readonly payments: readonly ProviderPaymentFact[];
  /** Every order on the platform. */
  readonly orders: readonly OrderFact[];
  /** Every receipt. */
  readonly receipts: readonly CustomerReceipt[];
  /** Session presence. */
  readonly sessions: SessionFacts;
}

/** A webhook waiting for delivery, with its position in the provider's queue. */
export interface QueuedWebhook {
  /** Position, increasing per provider. */
  readonly sequence: number;
  /** The signed request, as the provider would send it. */
  readonly request: WebhookRequest;
}

/** Which session store. */
export type SessionStoreName = 'old' | 'new';

/** The control calls and their inputs and outputs. */
export interface WorldCalls {
  ping: { input: Record<string, never>; output: WorldDescription };
  seed: { input: WorldSeedSpecification; output: SeededWorld };
  saveCard: { input: { readonly provider: SupportedProvider; readonly customerId: string; readonly customerReference?: string | undefined }; output: StoredCardFact };
  importCards: { input: CardImportRequest; output: readonly CardImportRow[] };
  exportMappingFile: { input: MappingFileExportRequest; output: MappingFileExport };
  verifyCard: { input: { readonly provider: SupportedProvider; readonly token: string; readonly customerReference: string }; output: { readonly verified: boolean } };
  createOrder: { input: { readonly orderId: string; readonly customerId: string; readonly total: MoneyJson }; output: { readonly created: boolean } };
  platformGetOrder: { input: { readonly orderId: string }; output: PlatformOrderJson | null };
  platformListOpenOrders: { input: { readonly limit: number; readonly cursor?: string | undefined; readonly updatedSince?: number | undefined }; output: { readonly items: readonly PlatformOrderJson[]; readonly nextCursor: string | undefined } };
  platformRecordPayment: { input: PlatformPaymentUpdateJson; output: PlatformOrderJson };
  platformCancelOrder: { input: PlatformCancelInput; output: PlatformOrderJson };
  platformGetCart: { input: { readonly cartId: string }; output: PlatformCartJson | null };
  sessionGet: { input: { readonly store: SessionStoreName; readonly key: string }; output: SessionEntryJson | null };
  sessionSet: { input: { readonly store: SessionStoreName; readonly key: string; readonly value: string; readonly ttlSeconds: number }; output: SessionEntryJson };
  sessionCompareAndSet: {
    input: { readonly store: SessionStoreName; readonly key: string; readonly value: string; readonly ttlSeconds: number; readonly expectedVersion: string | null };
    output: { readonly ok: boolean; readonly entry: SessionEntryJson | null };
  };
  sessionDelete: { input: { readonly store: SessionStoreName; readonly key: string }; output: { readonly existed: boolean } };
  sessionKeys: { input: { readonly store: SessionStoreName; readonly prefix: string }; output: readonly string[] };
  acknowledge: { input: CustomerReceipt; output: { readonly recorded: boolean } };
  webhooks: { input: { readonly provider: SupportedProvider; readonly limit: number }; output: readonly QueuedWebhook[] };
  acknowledgeWebhooks: { input: { readonly provider: SupportedProvider; readonly sequences: readonly number[] }; output: { readonly remaining: number } };
  truth: { input: Record<string, never>; output: WorldTruth };
  shutdown: { input: Record<string, never>; output: { readonly stopping: true } };
}

/** A control call's name. */
export type WorldCallName = keyof WorldCalls;

/** `PlatformOrder` as JSON (money as `MoneyJson`). */
export interface PlatformOrderJson {
  readonly orderId: string;
  readonly name?: string | undefined;
  readonly platformFinancialStatus: string;
  readonly platformFulfillmentStatus?: string | undefined;
  readonly canonicalState: OrderState;
  readonly total: MoneyJson;
  readonly transactions: readonly {
    readonly id: string;
    readonly kind: 'authorization' | 'capture' | 'sale' | 'refund' | 'void';
    readonly status: 'success' | 'pending' | 'failure' | 'error';
    readonly amount: MoneyJson;
    readonly gateway: string;
    readonly providerReference?: string | undefined;
    readonly createdAt: number;
  }[];
  readonly customerId?: string | undefined;
  readonly updatedAt: number;
  readonly cancelledAt?: number | undefined;
}

/** `PlatformPaymentUpdate` as JSON. */
export type PlatformPaymentUpdateJson = Omit<PlatformPaymentUpdate, 'amount'> & { readonly amount: MoneyJson };

/** `PlatformCart` as JSON. */
export interface PlatformCartJson {
  readonly cartId: string;
  readonly customerId?: string | undefined;
  readonly currency: string;
  readonly lines: readonly { readonly sku: string; readonly quantity: number; readonly unitPrice: MoneyJson; readonly title?: string | undefined }[];
  readonly updatedAt: number;
}

/** `SessionEntry` as JSON. */
export interface SessionEntryJson {
  readonly key: string;
  readonly value: string;
  readonly version: string;
  readonly expiresAt: number | null;
}
