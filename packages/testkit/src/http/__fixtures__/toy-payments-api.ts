import { createFakeApi, type CreateFakeApiOptions, type FakeApi } from '../fake-api.js';
import { empty, json, text } from '../fake-response.js';

/** One payment intent held by the toy fake. */
export interface ToyIntent {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
  status: 'requires_capture' | 'succeeded' | 'canceled';
  captureCount: number;
  metadata: Record<string, string>;
}

/** A small stateful Stripe-like fake used by the toolkit's own tests. */
export interface ToyPaymentsApi {
  readonly api: FakeApi;
  readonly intents: Map<string, ToyIntent>;
}

/** Route ids of the toy fake, for fault rules and `callsTo`. */
export const toyRoutes = {
  create: 'POST /v1/payment_intents',
  retrieve: 'GET /v1/payment_intents/:intent',
  capture: 'capture',
  cancel: 'DELETE /v1/payment_intents/:intent',
  metadata: 'PUT /v1/payment_intents/:intent/metadata',
  describe: 'PATCH /v1/payment_intents/:intent',
  health: 'GET /v1/health',
} as const;

/** Creates a fresh toy payments fake at `baseUrl`. */
export function createToyPaymentsApi(
  overrides: Partial<Pick<CreateFakeApiOptions, 'name' | 'baseUrl' | 'seed' | 'recordCalls' | 'secretHeaders'>> = {},
): ToyPaymentsApi {
  const intents = new Map<string, ToyIntent>();
  const api = createFakeApi({
    name: overrides.name ?? 'toy-payments',
    baseUrl: overrides.baseUrl ?? 'https://api.toy-payments.test',
    seed: overrides.seed,
    recordCalls: overrides.recordCalls,
    secretHeaders: overrides.secretHeaders,
    routes: [
      {
        method: 'POST',
        path: '/v1/payment_intents',
        handle: ({ form }) => {
          const body = form();
          const intent: ToyIntent = {
            id: `pi_${intents.size + 1}`,
            amount: Number(body.get('amount')),
            currency: body.get('currency') ?? 'eur',
            status: 'requires_capture',
            captureCount: 0,
            metadata: {},
          };
          intents.set(intent.id, intent);
          return json(intent, { status: 200, headers: { 'request-id': `req_${intent.id}` } });
        },
      },
      {
        method: 'GET',
        path: '/v1/payment_intents/:intent',
        handle: ({ params }) => {
          const intent = intents.get(params.intent ?? '');
          return intent === undefined
            ? json({ error: { message: 'No such payment_intent' } }, { status: 404 })
            : json(intent);
        },
      },
      {
        method: 'POST',
        path: '/v1/payment_intents/:intent/capture',
        id: 'capture',
        handle: ({ params }) => {
          const intent = intents.get(params.intent ?? '');
          if (intent === undefined) return json({ error: { message: 'No such payment_intent' } }, { status: 404 });
          intent.status = 'succeeded';
          intent.captureCount += 1;
          return json(intent);
        },
      },
      {
        method: 'DELETE',
        path: '/v1/payment_intents/:intent',
        handle: ({ params }) => {
          const intent = intents.get(params.intent ?? '');
          if (intent !== undefined) intent.status = 'canceled';
          return empty();
        },
      },
      {
        method: 'PUT',
        path: '/v1/payment_intents/:intent/metadata',
        handle: ({ params, json: readJson }) => {
          const intent = intents.get(params.intent ?? '');
          if (intent === undefined) return json({ error: { message: 'No such payment_intent' } }, { status: 404 });
          intent.metadata = readJson<Record<string, string>>();
          return json(intent.metadata, { status: 201 });
        },
      },
      {
        method: 'PATCH',
        path: '/v1/payment_intents/:intent',
        handle: ({ params, url }) => text(`described ${params.intent} as ${url.searchParams.get('label')}`),
      },
      {
        method: 'GET',
        path: '/v1/health',
        handle: () => text('ok'),
      },
    ],
  });
  return { api, intents };
}

/** Sends a form-encoded POST, Stripe style. */
export function postForm(url: string, fields: Record<string, string>, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    body: new URLSearchParams(fields).toString(),
  });
}
