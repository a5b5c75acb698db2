import { type JournalV1, type MoneyJson, VersionConflictError } from '@paymigrate/core';
import type { SupportedProvider } from '../config/config-schema.js';
import type { StoredCardFact } from './world/world-protocol.js';

/** The collection of the rehearsal shop's customers (what a shop keeps: provider references and tokens, never card numbers). */
export const customerCollection = 'rehearsal-customers';

/** A stored card as the shop records it. */
export interface CustomerCard extends StoredCardFact {
  /** When the shop recorded it, epoch milliseconds. */
  readonly savedAt: number;
  /** Where it came from: the customer (checkout) or a token import. */
  readonly origin: 'customer' | 'import';
}

/** A customer as the shop records it. */
export interface CustomerEntry {
  /** Our customer id. */
  readonly customerId: string;
  /** The customer's current card at each provider. */
  readonly cards: Partial<Readonly<Record<SupportedProvider, CustomerCard>>>;
  /** The monthly subscription amount, when subscribed. */
  readonly subscription: MoneyJson | undefined;
}

/** The shop's customer directory, kept in the journal and cached in memory. */
export interface CustomerDirectory {
  /** Every customer, in id order. */
  all(): readonly CustomerEntry[];
  /** One customer. */
  get(customerId: string): CustomerEntry | undefined;
  /** The customer's card at a provider. */
  cardAt(customerId: string, provider: string): CustomerCard | undefined;
  /** The customer whose card at `provider` has this provider customer reference. */
  customerOfReference(provider: string, customerReference: string): string | undefined;
  /** Records customers that are not recorded yet (idempotent). */
  addAll(entries: readonly CustomerEntry[]): Promise<void>;
  /** Records a customer's current card at its provider (compare-and-set, retried). */
  saveCard(customerId: string, card: CustomerCard): Promise<void>;
}

/** Compare-and-set rounds before a conflict is given up. */
const maximumRounds = 20;

/** Loads the directory from the journal. */
export async function loadCustomerDirectory(journal: JournalV1): Promise<CustomerDirectory> {
  const entries = new Map<string, CustomerEntry>();
  let afterKey: string | undefined;
  for (;;) {
    const page = await journal.list(customerCollection, { limit: 1000, afterKey });
    for (const record of page) entries.set(record.key, JSON.parse(record.value) as CustomerEntry);
    if (page.length < 1000) break;
    afterKey = page.at(-1)?.key;
  }
  const sorted = (): CustomerEntry[] => [...entries.values()].sort((left, right) => (left.customerId < right.customerId ? -1 : 1));
  let cachedList: CustomerEntry[] | undefined;

  return {
    all: () => (cachedList ??= sorted()),
    get: (customerId) => entries.get(customerId),
    cardAt: (customerId, provider) => entries.get(customerId)?.cards[provider as SupportedProvider],
    customerOfReference(provider, customerReference) {
      for (const entry of entries.values()) if (entry.cards[provider as SupportedProvider]?.customerReference === customerReference) return entry.customerId;
      return undefined;
    },
    async addAll(list) {
      const missing = list.filter((entry) => !entries.has(entry.customerId));
      for (let start = 0; start < missing.length; start += 500) {
        const slice = missing.slice(start, start + 500);
        const existing = new Set((await journal.getMany(customerCollection, slice.map((entry) => entry.customerId))).map((record) => record.key));
        const puts = slice
          .filter((entry) => !existing.has(entry.customerId))
          .map((entry) => ({ collection: customerCollection, key: entry.customerId, value: JSON.stringify(entry), expectedVersion: 0 }));
        if (puts.length > 0) await journal.write({ puts });
      }
      for (const entry of list) if (!entries.has(entry.customerId)) entries.set(entry.customerId, entry);
      cachedList = undefined;
    },
    async saveCard(customerId, card) {
      for (let round = 0; round < maximumRounds; round += 1) {
        const record = await journal.get(customerCollection, customerId);
        const current: CustomerEntry = record === undefined ? { customerId, cards: {}, subscription: undefined } : (JSON.parse(record.value) as CustomerEntry);
        const next: CustomerEntry = { ...current, cards: { ...current.cards, [card.provider]: card } };
        try {
          await journal.write({ puts: [{ collection: customerCollection, key: customerId, value: JSON.stringify(next), expectedVersion: record?.version ?? 0 }] });
          entries.set(customerId, next);
          cachedList = undefined;
          return;
        } catch (error) {
          if (!VersionConflictError.isInstance(error) || round === maximumRounds - 1) throw error;
        }
      }
    },
  };
}
