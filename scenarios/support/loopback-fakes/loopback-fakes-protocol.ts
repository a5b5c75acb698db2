// What the fake-server child and its parent share.
import type { LoopbackProviders } from '../crash/crash-wiring.js';
import type { ProviderTruth } from '../provider-truth.js';

/** Messages from the fake-server child. */
export type FakeServerReport =
  | ({ readonly type: 'listening' } & LoopbackProviders)
  | { readonly type: 'truth'; readonly truths: readonly ProviderTruth[] };

/** Requests to the fake-server child. */
export type FakeServerRequest = { readonly type: 'truth' } | { readonly type: 'stop' };
