// A fleet of three app servers on one PostgreSQL journal (started by this test on a free loopback
// port), sharing Stripe and PayPal fakes served over loopback by this process. Stripe answers some
// captures and refunds with 503s, so the nodes' recovery loops have work to claim. One node is
// SIGKILLed mid-run while it holds leases: the survivors' recovery loops take its intents over once
// the leases expire. Nothing is lost or duplicated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type IntentRecord, IntentRepository } from '@paymigrate/core';
import { createPostgresJournal, type PostgresJournal } from '@paymigrate/store-postgres';
import {
  createPayPalFake,
  createSeededRandom,
  createStripeFake,
  type LoopbackHttpServer,
  payPalSandboxBaseUrl,
  type PostgresServer,
  serveOverHttp,
  startPostgresServer,
} from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkReportingChild, type ReportingChild } from './support/child-process.js';
import { bundleChild } from './support/crash/bundle-child.js';
import { type FleetNodeConfig, fleetNodeConfigVariable, type FleetNodeReport } from './support/fleet/fleet-protocol.js';
import { checkInvariants } from './support/invariants.js';

const seed = Number(process.env.PAYMIGRATE_FLEET_SEED ?? 20_261_127);
const directory = mkdtempSync(join(tmpdir(), 'paymigrate-fleet-'));
let postgres: PostgresServer | undefined;
let script = '';

beforeAll(async () => {
  [postgres, script] = await Promise.all([startPostgresServer(), bundleChild('../fleet/fleet-child.ts', directory, 'fleet-child')]);
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
  rmSync(directory, { recursive: true, force: true });
});

const openIntentStatuses = ['pending', 'unknown', 'waiting'] as const;

async function openIntents(journal: PostgresJournal): Promise<number> {
  let open = 0;
  for (const status of openIntentStatuses) open += await journal.count('payment-intents', { index: status });
  return open;
}

describe('three nodes on store-postgres, one SIGKILLed mid-run', () => {
  it("the survivors' recovery loops finish the dead node's intents after its leases expire: nothing lost, nothing duplicated", async () => {
    const random = createSeededRandom(seed);
    const stripe = createStripeFake({ baseUrl: 'http://127.0.0.1', seed });
    const payPal = createPayPalFake({ seed });
    const servers: LoopbackHttpServer[] = [
      await serveOverHttp(stripe.api.handlers, { rewriteOrigin: stripe.baseUrl }),
      await serveOverHttp(payPal.handlers, { rewriteOrigin: payPalSandboxBaseUrl }),
    ];
    // Stripe is flaky: some captures and refunds get a 503 (not applied), an unknown outcome the
    // recovery loops resolve with the same key.
    for (const route of [stripe.routes.capturePaymentIntent, stripe.routes.createRefund]) {
      stripe.api.faults.inject({ kind: 'server-error', status: 503, route, probability: 0.35 });
    }
    const schema = `fleet_${seed}`;
    const connectionString = (postgres as PostgresServer).connectionString;
    const journal = createPostgresJournal({ connectionString, schema, poolSize: 4 });
    await journal.open();
    const leaseMs = 1_500;
    const nodes = ['A', 'B', 'C'];
    const victim = 'B';
    const acks: { node: string; intentId: string; status: string }[] = [];
    const errors: string[] = [];
    const children = new Map<string, ReportingChild<FleetNodeReport>>();
    try {
      for (const node of nodes) {
        const config: FleetNodeConfig = {
          connectionString,
          schema,
          node,
          seed: seed + node.charCodeAt(0),
          payments: 40,
          concurrency: 4,
          leaseMs,
          graceMs: 1_000,
          recoveryIntervalMs: 150,
          holdClaimsUntilResumed: node === victim,
          stripeUrl: (servers[0] as LoopbackHttpServer).url,
          payPalUrl: (servers[1] as LoopbackHttpServer).url,
          payPalClientId: payPal.clientId,
          payPalClientSecret: payPal.clientSecret,
        };
        children.set(
          node,
          forkReportingChild<FleetNodeReport>(script, {
            env: { [fleetNodeConfigVariable]: JSON.stringify(config) },
            onReport: (report) => {
              if (report.type === 'ack') acks.push({ node, intentId: report.intentId, status: report.status });
              if (report.type === 'error') errors.push(`${node}: ${report.message}`);
            },
          }),
        );
      }
      await Promise.all([...children.values()].map((child) => child.next('loaded')));
      for (const child of children.values()) child.process.send({ type: 'go' });

      // Kill the victim mid-run while it holds a lease on one of its own open intents (so it dies
      // holding a lease nobody else may take, on an intent no live request of another node can
      // finish). Its recovery loop holds each claim it reports until this test answers `resume`; its
      // live requests do not wait, so on each claim the test freezes the victim (SIGSTOP), lets
      // PostgreSQL finish what was already sent, and reads the journal: if one of those leases still
      // holds an open intent, the kill lands on that state; otherwise the victim goes on.
      const killAfterAcks = random.integer(15, 40);
      const dead = children.get(victim) as ReportingChild<FleetNodeReport>;
      const victimPid = dead.process.pid as number;
      const intents = new IntentRepository(journal);
      const holdsOwnOpenLease = async (keys: readonly string[]): Promise<boolean> => {
        for (const key of keys.filter((candidate) => candidate.startsWith(victim))) {
          const stored = await intents.get(key);
          const open = (openIntentStatuses as readonly string[]).includes(stored?.value.status ?? '');
          if (open && stored?.lease?.owner === victim && stored.lease.expiresAt > Date.now() + 500) return true;
        }
        return false;
      };
      await new Promise<void>((resolve, reject) => {
        const onReport = (message: unknown): void => {
          const report = message as FleetNodeReport;
          if (report.type !== 'claimed') return;
          const ownAcks = acks.filter((ack) => ack.node === victim).length;
          if (ownAcks < killAfterAcks || !report.keys.some((key) => key.startsWith(victim))) {
            dead.process.send({ type: 'resume' });
            return;
          }
          process.kill(victimPid, 'SIGSTOP');
          void sleep(100)
            .then(() => holdsOwnOpenLease(report.keys))
            .then((holds) => {
              if (holds) {
                dead.process.off('message', onReport);
                dead.kill();
                resolve();
              } else {
                process.kill(victimPid, 'SIGCONT');
                dead.process.send({ type: 'resume' });
              }
            }, reject);
        };
        dead.process.on('message', onReport);
        void dead.exited.then(() => resolve());
      });
      expect(await dead.exited).toEqual({ code: null, signal: 'SIGKILL' });
      const killedAt = Date.now();
      const victimAcks = acks.filter((ack) => ack.node === victim).length;

      // What the victim left: its unfinished intents, some of them leased to it.
      const leftBehind: IntentRecord[] = [];
      const leasedByVictim = new Map<string, number>();
      for (const status of openIntentStatuses) {
        for await (const stored of intents.listAll({ index: status })) {
          if (stored.value.paymentId.startsWith(victim)) leftBehind.push(stored.value);
          if (stored.lease?.owner === victim && stored.lease.expiresAt > killedAt) leasedByVictim.set(stored.key, stored.lease.expiresAt);
        }
      }
      const ownLeased = [...leasedByVictim.keys()].filter((key) => key.startsWith(victim));
      expect(ownLeased.length, 'the victim died holding a lease on one of its own intents').toBeGreaterThan(0);

      // The survivors finish their own work, then their recovery loops drain everything.
      await Promise.all(['A', 'C'].map((node) => (children.get(node) as ReportingChild<FleetNodeReport>).next('done')));
      const deadline = Date.now() + 60_000;
      while ((await openIntents(journal)) > 0 && Date.now() < deadline) await sleep(100);
      expect(await openIntents(journal), 'intents still open 60 s after the survivors finished').toBe(0);
      for (const node of ['A', 'C']) (children.get(node) as ReportingChild<FleetNodeReport>).process.send({ type: 'stop' });
      for (const node of ['A', 'C']) expect(await (children.get(node) as ReportingChild<FleetNodeReport>).exited).toEqual({ code: 0, signal: null });

      // Every intent leased to the dead node ended final. Its own ones (no live request works on them)
      // were taken over by a survivor only after the lease expired; another node's ones may have been
      // finished earlier by that node's own request, which is still running.
      for (const [key, expiresAt] of leasedByVictim) {
        const stored = await intents.get(key);
        expect(stored?.value.status, key).toMatch(/^(succeeded|failed)$/);
        if (key.startsWith(victim)) expect(stored?.updatedAt ?? 0, `${key} was finished before its lease expired`).toBeGreaterThanOrEqual(expiresAt);
      }

      // Nothing acknowledged is lost (the victim's acknowledgements included).
      for (const ack of acks) {
        const stored = await intents.get(ack.intentId);
        expect(stored, `${ack.node} acknowledged ${ack.intentId}`).toBeDefined();
        if (ack.status === 'succeeded' || ack.status === 'failed') expect(stored?.value.status, ack.intentId).toBe(ack.status);
      }
      expect(victimAcks).toBeGreaterThanOrEqual(15);
      expect(leftBehind.length).toBeGreaterThan(0);
      expect(errors).toEqual([]);

      // Nothing duplicated, journal == provider truth.
      const report = await checkInvariants({ journal, fakes: { stripe, paypal: payPal } });
      expect(report.violations).toEqual([]);
      expect(report.counts.intentsByStatus.succeeded).toBeGreaterThan(100);
    } finally {
      for (const child of children.values()) child.kill();
      await Promise.all([...children.values()].map((child) => child.exited));
      await journal.close();
      await Promise.all(servers.map((server) => server.close()));
    }
  }, 240_000);
});
