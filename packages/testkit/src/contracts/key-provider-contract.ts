import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { KeyProviderV1, WrappedKey } from '@paymigrate/core';
import { expect } from 'vitest';
import { type ContractInput, type ContractSuite, runContract, withSubject } from './contract-suite.js';
import { captureError } from '../assertions/caught-errors.js';

/** Options of `keyProviderContract`. */
export interface KeyProviderContractOptions {
  /**
   * Makes a new key-encrypting key active on `subject` while keeping the previous ones usable for
   * unwrapping (the first half of a rotation). The `rotation` suite needs it; a provider that
   * cannot rotate from a test opts out of that suite with a reason.
   */
  readonly rotate: (subject: KeyProviderV1) => Promise<void>;
}

/** A fresh random 32-byte data key. */
function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** Byte-wise equality of two keys, as plain arrays so a failure shows the bytes. */
function expectSameKey(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect([...actual]).toEqual([...expected]);
}

/** Asserts an error's message shows no trace of the data key. */
function expectNoKeyMaterial(error: unknown, dataKey: Uint8Array): void {
  // inspect shows the message, the stack, own properties and the cause chain.
  const message = inspect(error, { depth: 5 });
  const bytes = Buffer.from(dataKey);
  expect(message.includes(bytes.toString('base64'))).toBe(false);
  expect(message.includes(bytes.toString('hex'))).toBe(false);
}

/** The wrap with one byte of its decoded form flipped. */
function flipByte(wrapped: WrappedKey, position: number): WrappedKey {
  const bytes = Buffer.from(wrapped.wrappedKey, 'base64');
  const index = ((position % bytes.length) + bytes.length) % bytes.length;
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return { keyId: wrapped.keyId, wrappedKey: bytes.toString('base64') };
}

/** Wrapping: round trips, randomized wraps, size checks, no key material in the wrap. */
export const keyProviderWrappingSuite: ContractSuite<KeyProviderV1, KeyProviderContractOptions> = (context) => {
  const { test } = context;

  test('declares specification v1, a name and a stable active key id', () =>
    withSubject(context, async (provider) => {
      expect(provider.specificationVersion).toBe('v1');
      expect(provider.name.length).toBeGreaterThan(0);
      const active = await provider.activeKeyId();
      expect(typeof active).toBe('string');
      expect(active.length).toBeGreaterThan(0);
      expect(await provider.activeKeyId()).toBe(active);
    }));

  test('a wrapped data key unwraps to the same 32 bytes, under the active key id, as base64', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const wrapped = await provider.wrapKey({ dataKey });
      expect(wrapped.keyId).toBe(await provider.activeKeyId());
      expect(wrapped.wrappedKey).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      const unwrapped = await provider.unwrapKey(wrapped);
      expect(unwrapped.byteLength).toBe(32);
      expectSameKey(unwrapped, dataKey);
    }));

  test('the wrap does not contain the data key in clear', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const wrapped = await provider.wrapKey({ dataKey });
      expect(Buffer.from(wrapped.wrappedKey, 'base64').includes(Buffer.from(dataKey))).toBe(false);
      expect(wrapped.wrappedKey.includes(Buffer.from(dataKey).toString('base64'))).toBe(false);
    }));

  test('wrapping the same key twice gives two different wraps that both unwrap (random IV)', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const first = await provider.wrapKey({ dataKey });
      const second = await provider.wrapKey({ dataKey });
      expect(second.wrappedKey).not.toBe(first.wrappedKey);
      expectSameKey(await provider.unwrapKey(first), dataKey);
      expectSameKey(await provider.unwrapKey(second), dataKey);
    }));

  test('wrapping with the active key id named explicitly works', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const keyId = await provider.activeKeyId();
      const wrapped = await provider.wrapKey({ dataKey, keyId });
      expect(wrapped.keyId).toBe(keyId);
      expectSameKey(await provider.unwrapKey(wrapped), dataKey);
    }));

  test('twenty different keys wrapped concurrently each unwrap to their own bytes', () =>
    withSubject(context, async (provider) => {
      const dataKeys = Array.from({ length: 20 }, newDataKey);
      const wraps = await Promise.all(dataKeys.map((dataKey) => provider.wrapKey({ dataKey })));
      const unwrapped = await Promise.all(wraps.map((wrapped) => provider.unwrapKey(wrapped)));
      unwrapped.forEach((key, position) => expectSameKey(key, dataKeys[position]!));
    }));

  test('rejects a data key that is not exactly 32 bytes with a TypeError', () =>
    withSubject(context, async (provider) => {
      for (const size of [0, 16, 31, 33, 64]) {
        const error = await captureError(() => provider.wrapKey({ dataKey: new Uint8Array(size) }));
        expect(error, `a ${size}-byte key`).toBeInstanceOf(TypeError);
      }
    }));
};

/** Tampering: any change to a wrap, or an unknown key id, is refused without leaking the key. */
export const keyProviderTamperingSuite: ContractSuite<KeyProviderV1, KeyProviderContractOptions> = (context) => {
  const { test } = context;

  test('a wrap with any single byte flipped does not unwrap, and the error shows no key material', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const wrapped = await provider.wrapKey({ dataKey });
      const length = Buffer.from(wrapped.wrappedKey, 'base64').length;
      for (const position of [0, 1, Math.floor(length / 3), Math.floor(length / 2), length - 2, length - 1]) {
        const error = await captureError(() => provider.unwrapKey(flipByte(wrapped, position)));
        expect(error, `byte ${position} flipped`).toBeInstanceOf(Error);
        expectNoKeyMaterial(error, dataKey);
      }
    }));

  test('a truncated, extended, empty or non-base64 wrap does not unwrap', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const wrapped = await provider.wrapKey({ dataKey });
      const bytes = Buffer.from(wrapped.wrappedKey, 'base64');
      const variants = [
        bytes.subarray(0, bytes.length - 1).toString('base64'),
        Buffer.concat([bytes, Buffer.from([0])]).toString('base64'),
        '',
        '%%% not base64 %%%',
      ];
      for (const wrappedKey of variants) {
        const error = await captureError(() => provider.unwrapKey({ keyId: wrapped.keyId, wrappedKey }));
        expect(error, `wrap '${wrappedKey.slice(0, 12)}...'`).toBeInstanceOf(Error);
        expectNoKeyMaterial(error, dataKey);
      }
    }));

  test('an unknown key id does not unwrap and cannot wrap', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const wrapped = await provider.wrapKey({ dataKey });
      const unknown = `unknown-key-${Date.now()}`;
      const unwrapError = await captureError(() => provider.unwrapKey({ keyId: unknown, wrappedKey: wrapped.wrappedKey }));
      expect(unwrapError).toBeInstanceOf(Error);
      expectNoKeyMaterial(unwrapError, dataKey);
      const wrapError = await captureError(() => provider.wrapKey({ dataKey, keyId: unknown }));
      expect(wrapError).toBeInstanceOf(Error);
      expectNoKeyMaterial(wrapError, dataKey);
    }));
};

/** Rotation: a new active key, old wraps still readable, re-wrapping. Needs `options.rotate`. */
export const keyProviderRotationSuite: ContractSuite<KeyProviderV1, KeyProviderContractOptions> = (context) => {
  const { test, options } = context;

  test('after rotation the active key id changes, new wraps use it and old wraps still unwrap', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const before = await provider.activeKeyId();
      const old = await provider.wrapKey({ dataKey });
      await options.rotate(provider);
      const after = await provider.activeKeyId();
      expect(after).not.toBe(before);
      const fresh = await provider.wrapKey({ dataKey });
      expect(fresh.keyId).toBe(after);
      expect(old.keyId).toBe(before);
      expectSameKey(await provider.unwrapKey(old), dataKey);
      expectSameKey(await provider.unwrapKey(fresh), dataKey);
    }));

  test('re-wrapping moves a data key to the new active key without changing it', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const old = await provider.wrapKey({ dataKey });
      await options.rotate(provider);
      const rewrapped = await provider.wrapKey({ dataKey: await provider.unwrapKey(old) });
      expect(rewrapped.keyId).toBe(await provider.activeKeyId());
      expect(rewrapped.keyId).not.toBe(old.keyId);
      expectSameKey(await provider.unwrapKey(rewrapped), dataKey);
    }));

  test('a previous key can still be named explicitly to wrap', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const previous = await provider.activeKeyId();
      await options.rotate(provider);
      const wrapped = await provider.wrapKey({ dataKey, keyId: previous });
      expect(wrapped.keyId).toBe(previous);
      expectSameKey(await provider.unwrapKey(wrapped), dataKey);
    }));

  test('a wrap relabelled with another known key id does not unwrap', () =>
    withSubject(context, async (provider) => {
      const dataKey = newDataKey();
      const old = await provider.wrapKey({ dataKey });
      await options.rotate(provider);
      const active = await provider.activeKeyId();
      const error = await captureError(() => provider.unwrapKey({ keyId: active, wrappedKey: old.wrappedKey }));
      expect(error).toBeInstanceOf(Error);
      expectNoKeyMaterial(error, dataKey);
    }));

  test('three generations of keys all stay readable', () =>
    withSubject(context, async (provider) => {
      const wraps: { dataKey: Uint8Array; wrapped: WrappedKey }[] = [];
      for (let generation = 0; generation < 3; generation += 1) {
        const dataKey = newDataKey();
        wraps.push({ dataKey, wrapped: await provider.wrapKey({ dataKey }) });
        await options.rotate(provider);
      }
      expect(new Set(wraps.map((entry) => entry.wrapped.keyId)).size).toBe(3);
      for (const { dataKey, wrapped } of wraps) expectSameKey(await provider.unwrapKey(wrapped), dataKey);
    }));
};

/** Every key provider suite by name, for `keyProviderContract` or to run one on its own. */
export const keyProviderContractSuites = {
  wrapping: keyProviderWrappingSuite,
  tampering: keyProviderTamperingSuite,
  rotation: keyProviderRotationSuite,
} satisfies Record<string, ContractSuite<KeyProviderV1, KeyProviderContractOptions>>;

/** Name of a key provider suite. */
export type KeyProviderContractSuiteName = keyof typeof keyProviderContractSuites;

/**
 * The whole `KeyProviderV1` contract. Every adapter runs it from its own test file.
 *
 * @example
 * keyProviderContract({
 *   test,
 *   create: () => new InMemoryKeyProvider(),
 *   options: { rotate: async (provider) => void (provider as InMemoryKeyProvider).rotate() },
 * });
 */
export function keyProviderContract(input: ContractInput<KeyProviderV1, KeyProviderContractOptions, KeyProviderContractSuiteName>): void {
  runContract('KeyProviderV1', keyProviderContractSuites, input);
}
