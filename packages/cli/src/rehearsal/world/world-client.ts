import { PaymigrateError } from '@paymigrate/core';
import { WorldUnavailableError } from '../../cli-errors.js';
import { type WorldCallName, type WorldCalls, type WorldEndpoint, worldTokenHeader } from './world-protocol.js';

const worldCallMarker = Symbol.for('paymigrate.error.cli.world-call');

/** A failure the world reported for one call (the call reached it). */
export class WorldCallError extends PaymigrateError {
  private readonly [worldCallMarker] = true;

  /** The call. */
  readonly call: string;

  constructor(options: { readonly call: string; readonly code: string; readonly message: string }) {
    super(options.code, `world call '${options.call}' failed: ${options.message}`);
    this.name = 'WorldCallError';
    this.call = options.call;
  }

  /** True for a `WorldCallError` from any installed copy of the CLI. */
  static override isInstance(error: unknown): error is WorldCallError {
    return typeof error === 'object' && error !== null && worldCallMarker in error;
  }
}

/** Talks to a world's control API. */
export interface WorldClient {
  /** Where the world answers. */
  readonly endpoint: WorldEndpoint;
  /**
   * Makes one control call.
   * @throws WorldUnavailableError when the world cannot be reached.
   * @throws WorldCallError when the world answered with an error.
   */
  call<Name extends WorldCallName>(name: Name, input: WorldCalls[Name]['input']): Promise<WorldCalls[Name]['output']>;
}

/** Creates a client of the world at `endpoint`. */
export function createWorldClient(endpoint: WorldEndpoint): WorldClient {
  return {
    endpoint,
    async call(name, input) {
      let response: Response;
      try {
        response = await fetch(`${endpoint.controlUrl}/rpc/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [worldTokenHeader]: endpoint.token },
          body: JSON.stringify(input),
        });
      } catch (error) {
        throw new WorldUnavailableError({
          message: `the rehearsal world at ${endpoint.controlUrl} cannot be reached (${error instanceof Error ? error.message : String(error)}): it may have stopped; start a new rehearsal with a new --journal`,
          url: endpoint.controlUrl,
          cause: error,
        });
      }
      const body = (await response.json()) as { result?: unknown; error?: { code?: string; message?: string } };
      if (!response.ok || body.error !== undefined) {
        throw new WorldCallError({ call: name, code: body.error?.code ?? 'WORLD_CALL_FAILED', message: body.error?.message ?? `HTTP ${response.status}` });
      }
      return body.result as WorldCalls[typeof name]['output'];
    },
  };
}
