// What `journal-child.ts` and the multi-process tests share: the reports and the crash test's names.

/** Messages from the child to the parent. */
export type ChildReport =
  | { readonly type: 'ready' }
  | { readonly type: 'acknowledged'; readonly batch: number }
  /** Group crash writer: `writer`'s batch number `batch` resolved; `largestGroup` so far (proof that writes were grouped). */
  | { readonly type: 'group-acknowledged'; readonly writer: number; readonly batch: number; readonly largestGroup: number }
  | {
      readonly type: 'claimed';
      readonly records: readonly string[];
      readonly messages: readonly { readonly sequence: number; readonly attempts: number }[];
      readonly conflicts: number;
      readonly unacknowledged: number;
    };

/** The collection, counter and outbox naming the crash test and its parent share. */
export const crashNames = { records: 'crash-records', counters: 'crash-counters', counter: 'batches', topic: 'crash.batch' } as const;

/** The three record keys of a crash-test batch. */
export function crashRecordKeys(batch: number): string[] {
  return [0, 1, 2].map((part) => `batch-${String(batch).padStart(6, '0')}-${part}`);
}

/** The value written for one record of a crash-test batch. */
export function crashRecordValue(batch: number, part: number): string {
  return JSON.stringify({ batch, part, padding: 'x'.repeat(200) });
}

/** The collection and naming of the group-commit crash test (several concurrent writers per process). */
export const groupCrashNames = { records: 'group-crash-records', counters: 'group-crash-counters', topic: 'group-crash.batch' } as const;

/** The counter key of one concurrent writer. */
export function groupCrashCounterKey(writer: number): string {
  return `writer-${writer}`;
}

/** The three record keys of one writer's batch. */
export function groupCrashRecordKeys(writer: number, batch: number): string[] {
  return [0, 1, 2].map((part) => `writer-${writer}-batch-${String(batch).padStart(6, '0')}-${part}`);
}
