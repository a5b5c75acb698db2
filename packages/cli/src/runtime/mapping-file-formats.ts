import type { SupportedProvider } from '../config/config-schema.js';

/** The formats the Token Migration Engine reads mapping files in. */
export type MappingFileFormatName = 'stripe-json' | 'adyen-csv' | 'generic-csv';

/** The format each provider hands its import results back in (PayPal has none of its own: paymigrate's generic CSV). */
export const mappingFileFormatOf: Readonly<Record<SupportedProvider, MappingFileFormatName>> = {
  stripe: 'stripe-json',
  adyen: 'adyen-csv',
  paypal: 'generic-csv',
};
