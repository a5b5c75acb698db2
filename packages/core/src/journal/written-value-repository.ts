import { JournalRepository } from './journal-repository.js';
import type { StoredRecord } from './journal-repository.js';
import type { ExpectedVersion, JournalPut, JournalRecord } from '../ports/journal/v1/journal.js';

/**
 * How many written values a memory keeps (the most recent ones). A burst of 1,000 orders, or
 * 1,000 checkouts in flight, fits with room to spare; a record and its JSON text take one to a few
 * kilobytes, so a full memory holds a few megabytes per collection.
 */
export const writtenValueMemoryCapacity = 4_096;

/**
 * Freezes `value` and everything it holds (objects already frozen, such as `Money`, are left as
 * they are). A remembered value is answered to every later reader instead of a fresh decoded
 * copy, so no reader may change it for the others.
 */
function freezeDeep(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  // Indexed loops, not `Object.values`: no array of members is built for every object walked.
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) freezeDeep(value[index]);
    return;
  }
  const members = value as Record<string, unknown>;
  for (const key in members) if (Object.hasOwn(members, key)) freezeDeep(members[key]);
}

/**
 * The values this process last wrote, by key, each with the exact JSON text it was written as.
 *
 * Decoding a record (JSON.parse, then the zod schema that validates it and revives its amounts
 * as `Money`) is one of the larger costs of an engine's read, and most records an engine reads
 * are ones it wrote itself a moment earlier (the order registered at checkout, read again when
 * the capture webhook arrives; the outbox message it enqueued, read again by the relay; the
 * payment authorized a moment ago, read again by its capture). When the
 * text read back is byte for byte the text this process wrote, the value it encoded is the value
 * the text decodes to, so it is answered without decoding. Any other text (written by another
 * process, by an older version, damaged in storage) misses and is decoded and validated as
 * before. Only the most recent `capacity` keys are kept (oldest forgotten first).
 */
export class WrittenValueMemory<Value> {
  readonly #capacity: number;
  readonly #entries = new Map<string, { readonly text: string; readonly value: Value }>();

  /** @param capacity Keys kept at most, at least 1. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Remembers that `key` was written as `text`, encoded from `value` (forgetting the oldest key
   * when full). `value` is frozen, deeply: it is shared with every later reader of the key.
   */
  remember(key: string, text: string, value: Value): void {
    freezeDeep(value);
    // Re-inserted so that the Map's insertion order stays the order of the last writes.
    this.#entries.delete(key);
    this.#entries.set(key, { text, value });
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** The value `key` was last written from, when `text` is exactly what was written; otherwise `undefined`. */
  recall(key: string, text: string): Value | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.text === text ? entry.value : undefined;
  }

  /**
   * The value `key` was last written from, whatever the journal holds now: a hint only (the write
   * may not have committed, someone else may have written since). Check it against what is read.
   */
  peek(key: string): Value | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Like `recall`, and forgets the key (for values read back once, such as outbox messages). */
  take(key: string, text: string): Value | undefined {
    const value = this.recall(key, text);
    if (value !== undefined) this.#entries.delete(key);
    return value;
  }
}

/**
 * A repository that answers records this process wrote without decoding them again (see
 * `WrittenValueMemory`): `put` remembers the value and its text, `decode` answers the remembered
 * value when the stored text is the same, and decodes (and validates) every other text.
 *
 * The values remembered are the engine's own, built from typed, checked values, exactly like
 * the ones `JournalRepository.written` answers after a committed write.
 */
export class WrittenValueRepository<Value> extends JournalRepository<Value> {
  readonly #memory = new WrittenValueMemory<Value>(writtenValueMemoryCapacity);

  /** Builds the write of `value` for a batch, and remembers the value by its text. */
  override put(value: Value, expectedVersion: ExpectedVersion): JournalPut {
    const put = super.put(value, expectedVersion);
    this.#memory.remember(put.key, put.value, value);
    return put;
  }

  /** The value this process last wrote under `key`, if it remembers one: a hint, never the record itself (see `WrittenValueMemory.peek`). */
  lastWritten(key: string): Value | undefined {
    return this.#memory.peek(key);
  }

  /**
   * Reads a journal record of this collection as a typed value: the remembered value when this
   * process wrote exactly this text, else decoded and validated.
   *
   * @throws JournalRecordInvalidError when the JSON is malformed or does not match the schema.
   */
  override decode(record: JournalRecord): StoredRecord<Value> {
    const value = this.#memory.recall(record.key, record.value);
    return value === undefined ? super.decode(record) : this.written(value, record);
  }
}
