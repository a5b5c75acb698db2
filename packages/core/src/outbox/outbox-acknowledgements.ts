import { setImmediate as scheduleImmediate } from 'node:timers';
import type { JournalV1 } from '../ports/index.js';

/** Acknowledges one delivered message; resolves `false` when its lease was taken over meanwhile. */
export type AcknowledgeDelivery = (sequence: number) => Promise<boolean>;

/** One acknowledgement waiting for the next flush. */
interface PendingAcknowledgement {
  readonly sequence: number;
  readonly resolve: (acknowledged: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces acknowledgements: every delivery that completes in the same turn of the event loop is
 * acknowledged by ONE `acknowledgeOutbox` call (one journal transaction) instead of one each. A
 * burst of 1,000 deliveries then costs a handful of commits, not 1,000 synchronous ones. Each
 * caller still learns whether its own message was acknowledged (the lease may have been taken
 * over, and the message will then be delivered again: at least once). A failing call rejects every
 * caller of its batch: those messages stay claimed and come back when their lease expires.
 */
export function coalescedAcknowledgements(journal: Pick<JournalV1, 'acknowledgeOutbox'>, owner: string): AcknowledgeDelivery {
  let pending: PendingAcknowledgement[] = [];

  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    try {
      const { acknowledged } = await journal.acknowledgeOutbox({ sequences: batch.map((entry) => entry.sequence), owner });
      const done = new Set(acknowledged);
      for (const entry of batch) entry.resolve(done.has(entry.sequence));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  };

  return (sequence) =>
    new Promise<boolean>((resolve, reject) => {
      pending.push({ sequence, resolve, reject });
      if (pending.length === 1) scheduleImmediate(() => void flush());
    });
}
