import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the official Stripe OpenAPI subset lives: `shared/specs` beside the repository (CI copies
 * `shared/` to `../shared`), resolved from this package's `src`.
 */
export const stripeSpecificationFile = fileURLToPath(new URL('../../../../../shared/specs/stripe.openapi.json', import.meta.url));

/** Stripe's current official example objects, beside the specification. */
export const stripeFixturesFile = fileURLToPath(new URL('../../../../../shared/specs/stripe.fixtures.json', import.meta.url));

/** A JSON value read from the specification. */
export type SpecificationJson = Readonly<Record<string, unknown>>;

/** Reads a JSON file when it exists, `undefined` otherwise (tests then skip with the reason). */
export function readJsonIfPresent(file: string): SpecificationJson | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SpecificationJson) : undefined;
}
