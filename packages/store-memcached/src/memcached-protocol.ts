import { type Client, type Response, type Server, Utils } from 'memjs';

/** Binary-protocol command codes ("commandCodes") this adapter sends. */
const commandCodes = { get: 0x00, set: 0x01, add: 0x02, replace: 0x03, delete: 0x04, noop: 0x0a, getKeyQuietly: 0x0d, append: 0x0e } as const;

/** Binary-protocol response statuses this adapter tells apart. */
export const memcachedStatus = {
  ok: 0x0000,
  keyNotFound: 0x0001,
  keyExists: 0x0002,
  valueTooLarge: 0x0003,
  notStored: 0x0005,
  outOfMemory: 0x0082,
  busy: 0x0085,
  temporaryFailure: 0x0086,
} as const;

/** An item as read with its CAS token. */
export interface MemcachedItem {
  /** The stored bytes. */
  readonly value: Buffer;
  /** The 32-bit flags stored beside it. */
  readonly flags: number;
  /** The CAS token: changes on every write of the item. */
  readonly cas: Buffer;
}

/** The outcome of `set`/`add`/`replace`: stored (with the new CAS token), or why not. */
export type MemcachedStoreOutcome =
  | { /** Written. */ readonly stored: true; /** The item's new CAS token. */ readonly cas: Buffer }
  | { /** Not written. */ readonly stored: false; /** `exists`: present (add) or changed (cas); `not-found`: absent (replace, cas). */ readonly reason: 'exists' | 'not-found' };

/** A status the server answered that is neither success nor an expected "no". */
export class MemcachedStatusError extends Error {
  /** The binary-protocol status. */
  readonly status: number;

  /** @param operation The command that got the status. @param status The binary-protocol status. */
  constructor(operation: string, status: number) {
    super(`memcached ${operation} answered status 0x${status.toString(16).padStart(4, '0')}`);
    this.name = 'MemcachedStatusError';
    this.status = status;
  }
}

/** An 8-byte zero CAS: "no CAS check". */
const noCas = Buffer.alloc(8);

/**
 * The few binary-protocol commands the session store needs, sent through memjs's public
 * `perform` so the CAS token can be read and written: memjs's own `get`/`set` drop it (its source
 * marks CAS as a TODO). Each request is sent once (`retries = 1`): the store decides what may be
 * repeated, because a repeated `add` or CAS write whose first reply was lost answers "exists".
 */
export class MemcachedProtocol {
  readonly #client: Client;
  readonly #deadlineMs: number;

  /**
   * @param client A memjs client; the protocol never closes it.
   * @param deadlineMs How long a request may go unanswered before it fails and its connection is
   *   reset. memjs has its own timeout, but after one fires a stale socket event can leave the next
   *   connection without a timer, and its requests would then wait forever.
   */
  constructor(client: Client, deadlineMs = 3_000) {
    this.#client = client;
    this.#deadlineMs = deadlineMs;
  }

  /** `GET`: the item with its flags and CAS token, or `undefined` when absent. */
  async get(key: string): Promise<MemcachedItem | undefined> {
    const response = await this.#send(commandCodes.get, key, Buffer.alloc(0), Buffer.alloc(0), noCas);
    const { status, cas } = response.header;
    if (status === memcachedStatus.keyNotFound) return undefined;
    if (status !== memcachedStatus.ok) throw new MemcachedStatusError('get', status);
    return { value: response.val, flags: response.extras.readUInt32BE(0), cas: Buffer.from(cas) };
  }

  /**
   * Many `GET`s in one round trip per server: for each server, one write holding a `GETKQ` per key
   * (quiet: a miss sends nothing; a hit echoes its key) and a closing `NOOP`, whose answer tells
   * every hit has arrived (memcached answers a connection's requests in order). All requests of
   * one write share one opaque, so memjs routes every answer to one handler. Keys absent from the
   * map are absent on the server. A repeated key is asked for once.
   */
  async getMany(keys: readonly string[]): Promise<ReadonlyMap<string, MemcachedItem>> {
    const byServer = new Map<Server, Set<string>>();
    for (const key of keys) {
      // memjs answers null (its types say undefined) when failover has marked every server down.
      const server = this.#client.server(key) as Server | null | undefined;
      if (server === undefined || server === null) throw new Error('No servers available');
      const serverKeys = byServer.get(server) ?? new Set<string>();
      serverKeys.add(key);
      byServer.set(server, serverKeys);
    }
    const items = new Map<string, MemcachedItem>();
    await Promise.all([...byServer].map(([server, serverKeys]) => this.#getManyFrom(server, [...serverKeys], items)));
    return items;
  }

  /**
   * `SET` (unconditional, or only if the CAS token still matches when `cas` is given), `ADD` (only
   * if absent) or `REPLACE` (only if present). `expiration` is in memcached's form: seconds
   * from now up to 30 days, else an absolute Unix time.
   */
  async store(
    command: 'set' | 'add' | 'replace',
    key: string,
    value: Buffer,
    options: { readonly flags: number; readonly expiration: number; readonly cas?: Buffer | undefined },
  ): Promise<MemcachedStoreOutcome> {
    const extras = Buffer.alloc(8);
    extras.writeUInt32BE(options.flags, 0);
    extras.writeUInt32BE(options.expiration, 4);
    const response = await this.#send(commandCodes[command], key, extras, value, options.cas ?? noCas);
    const { status, cas } = response.header;
    if (status === memcachedStatus.ok) return { stored: true, cas: Buffer.from(cas) };
    if (status === memcachedStatus.keyExists) return { stored: false, reason: 'exists' };
    if (status === memcachedStatus.keyNotFound) return { stored: false, reason: 'not-found' };
    throw new MemcachedStatusError(command, status);
  }

  /** `DELETE`, only if the CAS token still matches when `cas` is given: `deleted`, `not-found`, or `changed` (CAS mismatch). */
  async delete(key: string, cas?: Buffer): Promise<'deleted' | 'not-found' | 'changed'> {
    const { status } = (await this.#send(commandCodes.delete, key, Buffer.alloc(0), Buffer.alloc(0), cas ?? noCas)).header;
    if (status === memcachedStatus.ok) return 'deleted';
    if (status === memcachedStatus.keyNotFound) return 'not-found';
    if (status === memcachedStatus.keyExists) return 'changed';
    throw new MemcachedStatusError('delete', status);
  }

  /** `APPEND`: `true` when appended; `false` when the item is absent or would grow past the item size limit. */
  async append(key: string, data: Buffer): Promise<boolean> {
    const { status } = (await this.#send(commandCodes.append, key, Buffer.alloc(0), data, noCas)).header;
    if (status === memcachedStatus.ok) return true;
    // memcached answers NOT_STORED both for an absent item and for one that would grow too large.
    if (status === memcachedStatus.notStored) return false;
    throw new MemcachedStatusError('append', status);
  }

  /** The `GETKQ` batch to one server (see `getMany`); fills `items`. */
  #getManyFrom(server: Server, keys: readonly string[], items: Map<string, MemcachedItem>): Promise<void> {
    const client = this.#client;
    client.incrSeq();
    const sequence = client.seq;
    const empty = Buffer.alloc(0);
    const requests = keys.map((key) => Utils.makeRequestBuffer(commandCodes.getKeyQuietly, key, empty, empty, sequence));
    requests.push(Utils.makeRequestBuffer(commandCodes.noop, '', empty, empty, sequence));
    return new Promise<void>((resolve, reject) => {
      let failure: Error | undefined;
      const deadline = setTimeout(() => {
        const error = new Error(`no reply to ${keys.length} gets within ${this.#deadlineMs} ms`);
        reject(error);
        server.error(error);
      }, this.#deadlineMs);
      const handler = Object.assign(
        (response: Response): void => {
          const { status, opcode, cas } = response.header;
          if (opcode === commandCodes.noop) {
            clearTimeout(deadline);
            if (failure === undefined) resolve();
            else reject(failure);
            return;
          }
          if (status === memcachedStatus.ok) {
            items.set(response.key.toString('utf8'), { value: response.val, flags: response.extras.readUInt32BE(0), cas: Buffer.from(cas) });
          } else if (status !== memcachedStatus.keyNotFound) {
            failure ??= new MemcachedStatusError('get', status);
          }
        },
        // memjs keeps a quiet handler for every answer until one with an empty body (the NOOP's).
        { quiet: true },
      );
      server.onResponse(sequence, handler);
      server.onError(sequence, (error: Error) => {
        clearTimeout(deadline);
        reject(error);
      });
      server.write(Buffer.concat(requests));
    });
  }

  /** Sends one request (no automatic retry) and resolves its response; transport failures reject. */
  #send(commandCode: number, key: string, extras: Buffer, value: Buffer, cas: Buffer): Promise<Response> {
    const client = this.#client;
    client.incrSeq();
    const sequence = client.seq;
    const request = Utils.makeRequestBuffer(commandCode, key, extras, value, sequence);
    cas.copy(request, 16);
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        const error = new Error(`no reply within ${this.#deadlineMs} ms`);
        reject(error);
        // Fails every request waiting on that connection and drops it; the next request reconnects.
        client.server(key)?.error(error);
      }, this.#deadlineMs);
      client.perform(
        key,
        request,
        sequence,
        (error: Error | null, ...results: unknown[]) => {
          clearTimeout(deadline);
          if (error) reject(error);
          else resolve(results[0] as Response);
        },
        1,
      );
    });
  }
}
