/** An incoming webhook exactly as it arrived: verification needs the raw bytes, not parsed JSON. */
export interface WebhookRequest {
  /** The raw body, byte for byte as received (decoded as UTF-8). Never re-serialize before verifying. */
  readonly rawBody: string;
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** When it was received, epoch milliseconds; verifiers use it for timestamp tolerance. */
  readonly receivedAt?: number | undefined;
}

/** One page of a listing; `nextCursor` is absent on the last page. */
export interface Page<Item> {
  /** The items of this page. */
  readonly items: readonly Item[];
  /** Pass back to get the next page; absent when there is none. */
  readonly nextCursor?: string | undefined;
}

/** Options every provider call accepts. */
export interface CallOptions {
  /** Aborts the call. An aborted write has an unknown outcome. */
  readonly signal?: AbortSignal | undefined;
}
