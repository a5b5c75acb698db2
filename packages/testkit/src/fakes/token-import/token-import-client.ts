import {
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderRetryableError,
  RateLimitedError,
  type TokenExchangeV1,
  type TokenFailureReason,
  tokenFailureReasons,
  type TokenImportInput,
  type TokenImportResult,
  type TokenVerificationInput,
  type TokenVerificationResult,
  UnknownOutcomeError,
  IdempotencyConflictError,
} from '@paymigrate/core';
import { Agent, request } from 'node:http';
import { isCardBrand } from './token-import-fake.js';

/** Options of {@link createTokenImportClient}. */
export interface TokenImportClientOptions {
  /** Base URL of the API (a loopback server's `url`). */
  readonly baseUrl: string;
  /** Provider name the client reports. @default 'tokenimport' */
  readonly provider?: string | undefined;
  /** Per-request timeout. @default 10000 */
  readonly timeoutMs?: number | undefined;
  /** Most connections kept open to the API (requests beyond wait for one). @default 256 */
  readonly maxSockets?: number | undefined;
}

/** What came back: status, the two Retry-After headers, and the body text. */
interface HttpAnswer {
  readonly status: number;
  readonly retryAfterMs: string | undefined;
  readonly retryAfter: string | undefined;
  readonly text: string;
}

interface WireCard {
  readonly brand: string;
  readonly last4: string;
  readonly exp_month: number;
  readonly exp_year: number;
  readonly fingerprint?: string;
}

/**
 * A `TokenExchangeV1` over the token-import fake's HTTP API, through `node:http` with a keep-alive
 * agent: measured at 275 µs of CPU per call against 653-1,133 µs with `fetch`, which matters when a
 * benchmark drives 1,000 calls/s on a shared machine (msw intercepts it just the same). Errors are
 * mapped as adapters must: 429 -> `RateLimitedError` (`Retry-After-Ms`, else `Retry-After`
 * seconds), 5xx -> `ProviderRetryableError` (imports are idempotent by key), 409 ->
 * `IdempotencyConflictError`, 400 -> `InvalidRequestError`, 401/403 -> `ProviderAuthenticationError`,
 * no answer -> `UnknownOutcomeError`.
 */
export function createTokenImportClient(options: TokenImportClientOptions): TokenExchangeV1 {
  const provider = options.provider ?? 'tokenimport';
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });

  /** One POST; rejects only when no answer came (connection refused or reset, timeout). */
  const send = (path: string, idempotencyKey: string, payload: string): Promise<HttpAnswer> =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const outgoing = request(
        `${baseUrl}${path}`,
        {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'idempotency-key': idempotencyKey },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () =>
            resolve({
              status: incoming.statusCode ?? 0,
              retryAfterMs: incoming.headers['retry-after-ms'] as string | undefined,
              retryAfter: incoming.headers['retry-after'],
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`No answer within ${timeoutMs} ms.`)));
      outgoing.on('error', reject);
      outgoing.end(payload);
    });

  const post = async (path: string, idempotencyKey: string, body: unknown): Promise<unknown> => {
    let response: HttpAnswer;
    try {
      response = await send(path, idempotencyKey, JSON.stringify(body));
    } catch (error) {
      throw new UnknownOutcomeError(`No answer to ${path}.`, { provider, cause: error });
    }
    const text = response.text;
    if (response.status >= 200 && response.status < 300) return JSON.parse(text) as unknown;
    const details = { provider, httpStatus: response.status };
    if (response.status === 429) {
      const milliseconds = Number(response.retryAfterMs);
      const seconds = Number(response.retryAfter);
      const retryAfterMs = Number.isFinite(milliseconds) && milliseconds > 0 ? milliseconds : Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
      throw new RateLimitedError('Rate limited by the token import API.', { ...details, retryAfterMs });
    }
    if (response.status === 409) throw new IdempotencyConflictError('Idempotency key reused with other parameters.', { ...details, idempotencyKey });
    if (response.status === 401 || response.status === 403) throw new ProviderAuthenticationError('The token import API refused our credentials.', details);
    if (response.status >= 500) throw new ProviderRetryableError(`The token import API failed (${response.status}).`, details);
    throw new InvalidRequestError(`The token import API refused the request (${response.status}).`, details);
  };

  return {
    specificationVersion: 'v1',
    provider,
    async importPaymentMethod(input: TokenImportInput): Promise<TokenImportResult> {
      const answer = (await post('/v1/payment_method_imports', input.idempotencyKey, {
        source_provider: input.sourceProvider,
        source_token: input.sourceToken,
        source_customer_reference: input.sourceCustomerReference,
        customer_reference: input.customerReference,
        card: { brand: input.card.brand, last4: input.card.last4, exp_month: input.card.expiryMonth, exp_year: input.card.expiryYear, fingerprint: input.card.fingerprint },
        network_transaction_id: input.networkTransactionId,
      })) as { status: string; token?: string; customer_reference?: string; card?: WireCard; network_transaction_id?: string; reason?: string; detail?: string };
      if (answer.status === 'imported' && answer.token !== undefined && answer.customer_reference !== undefined && answer.card !== undefined) {
        return {
          status: 'imported',
          token: answer.token,
          customerReference: answer.customer_reference,
          card: {
            brand: isCardBrand(answer.card.brand) ? answer.card.brand : 'unknown',
            last4: answer.card.last4,
            expiryMonth: answer.card.exp_month,
            expiryYear: answer.card.exp_year,
            fingerprint: answer.card.fingerprint,
          },
          networkTransactionId: answer.network_transaction_id,
        };
      }
      const reason = (tokenFailureReasons as readonly string[]).includes(answer.reason ?? '') ? (answer.reason as TokenFailureReason) : 'provider_rejected';
      return { status: 'rejected', reason, detail: answer.detail };
    },
    async verifyPaymentMethod(input: TokenVerificationInput): Promise<TokenVerificationResult> {
      const answer = (await post('/v1/payment_method_verifications', input.idempotencyKey, {
        token: input.token,
        customer_reference: input.customerReference,
        currency: input.currency,
      })) as { verified: boolean; decline_reason?: string; network_transaction_id?: string };
      return { verified: answer.verified, declineReason: answer.decline_reason, networkTransactionId: answer.network_transaction_id };
    },
  };
}
