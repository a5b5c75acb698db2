import * as adyenNamespace from '@adyen/api-library';

/** The `@adyen/api-library` module object. */
export type AdyenLibrary = typeof adyenNamespace;

/**
 * The Adyen SDK's exports, whatever loads this file. The SDK is CommonJS and re-exports its
 * services through a helper that Node's ESM loader cannot see, so `import { CheckoutAPI }` fails
 * under native ESM (Node: "Named export 'CheckoutAPI' not found"). Node puts the whole
 * `module.exports` on `default`; bundlers (esbuild's CommonJS output, vitest) expose the names on
 * the namespace itself. Taking `default` when present works in all of them.
 */
export const adyenLibrary: AdyenLibrary = (adyenNamespace as { readonly default?: AdyenLibrary }).default ?? adyenNamespace;
