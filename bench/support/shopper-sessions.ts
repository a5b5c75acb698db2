import { serializeSession } from '@paymigrate/core';

/**
 * A shopper's session in the current schema: customer `customer-<index>`, a cart of one to four
 * lines (deterministic from `index`), preferences in `language`.
 */
export function shopperSession(index: number, language: string): string {
  return serializeSession({
    schemaVersion: 2,
    customerId: `customer-${index}`,
    cart: {
      currency: 'EUR',
      lines: Array.from({ length: 1 + (index % 4) }, (_, line) => ({
        sku: `SKU-${(index + line) % 997}`,
        quantity: 1 + line,
        unitPrice: { minorUnits: '1990', currency: 'EUR' },
        title: 'Organic cotton T-shirt',
      })),
    },
    preferences: { language, currencyDisplay: 'symbol' },
    updatedAt: 1_767_000_000_000 + index,
  });
}

/** The shared helper, re-exported for the benches that import it from here. */
export { forEachConcurrently } from '@paymigrate/core';
