// Kill switch propagation across 4 processes: a real Redis broadcast and a shared SQLite journal.
// The same file is the benchmark (parent) and, started with PAYMIGRATE_KILL_SWITCH_NODE=1, a
// routing node (child) that reports when it applied each kill switch change.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createKillSwitch,
  createLogger,
  createMigrationOrchestrator,
  createRoutingNode,
  createTrafficRouter,
  Money,
  rolloutBucket,
  type RoutingRequest,
} from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { createRedisBroadcast } from '@paymigrate/store-redis';
import { startRedisServer } from '@paymigrate/testkit';
import { type Benchmark, median, percentile } from './support/benchmark.js';

/** The pub/sub channel of the run. */
const channel = 'paymigrate:routing:bench';

/** What a child reports to the parent. */
type NodeReport =
  | { readonly type: 'ready'; readonly nodeIndex: number }
  | { readonly type: 'applied'; readonly nodeIndex: number; readonly revision: number; readonly engaged: boolean; readonly provider: string; readonly at: number };

/** Wall-clock time with sub-millisecond precision, comparable across processes on one machine. */
function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** A customer the 50 % ramp sends to the new provider: the probe every node routes after each change. */
function probeRequest(): RoutingRequest {
  let customer = 0;
  while (rolloutBucket('default:provider', `cus_${customer}`) >= 50_000) customer += 1;
  return { paymentId: 'probe', merchantReference: 'probe', amount: Money.of(100, 'EUR'), currency: 'EUR', customerId: `cus_${customer}` };
}

/** Child mode: one routing node that reports every configuration it applies. */
async function runNode(): Promise<void> {
  const nodeIndex = Number(process.env['NODE_INDEX']);
  const silent = createLogger({ level: 'silent' });
  const journal = createSqliteJournal({ filename: process.env['JOURNAL_FILE'] as string });
  await journal.open();
  const broadcast = createRedisBroadcast({ url: process.env['REDIS_URL'] as string, channel });
  const node = createRoutingNode({ journal, broadcast, nodeId: `node-${nodeIndex}`, pollIntervalMs: 1_000, logger: silent });
  const router = createTrafficRouter({ node, fromProvider: 'stripe', circuitBreaker: false, logger: silent });
  const probe = probeRequest();
  const send = (report: NodeReport): void => {
    process.send?.(report);
  };
  node.onChange((snapshot) => {
    const at = wallClock();
    // What a new payment gets on this node from now on.
    const provider = router.preview(probe).provider;
    send({ type: 'applied', nodeIndex, revision: snapshot.control?.revision ?? 0, engaged: snapshot.control?.killSwitchEngaged ?? false, provider, at });
  });
  await node.start();
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await node.stop();
      await broadcast.close();
      await journal.close();
      process.exit(0);
    })();
  });
  send({ type: 'ready', nodeIndex });
}

/** A started child and the reports it sent. */
interface NodeProcess {
  readonly child: ChildProcess;
  readonly reports: NodeReport[];
  readonly exited: Promise<void>;
}

/** Waits until `condition` holds, checking every millisecond; false after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}

const benchmark: Benchmark = async ({ scale, log }) => {
  const switches = Math.max(10, Math.round(60 * scale));
  const nodeCount = 4;
  const silent = createLogger({ level: 'silent' });
  const server = await startRedisServer();
  const directory = await mkdtemp(join(tmpdir(), 'paymigrate-kill-switch-'));
  const filename = join(directory, 'journal.sqlite');
  const journal = createSqliteJournal({ filename });
  await journal.open();
  const broadcast = createRedisBroadcast({ url: server.url, channel });
  const nodes: NodeProcess[] = [];
  try {
    const orchestrator = createMigrationOrchestrator({ journal, fromProvider: 'stripe', toProvider: 'adyen', inFlightPayments: { countInFlight: async () => 0 }, logger: silent });
    await orchestrator.start({ actor: 'bench', reason: 'bench' });
    await orchestrator.advance({ to: 'shadow', actor: 'bench', reason: 'bench' });
    await orchestrator.advance({ to: 'ramp', actor: 'bench', reason: 'bench' });
    await orchestrator.setRampPercent({ percent: 50, actor: 'bench', reason: 'bench' });
    const killSwitch = createKillSwitch({ journal, broadcast, logger: silent });
    const unannounced = createKillSwitch({ journal, logger: silent });

    log(`starting ${nodeCount} node processes (node --import tsx), Redis ${server.url}, SQLite ${filename}`);
    const script = fileURLToPath(import.meta.url);
    for (let nodeIndex = 0; nodeIndex < nodeCount; nodeIndex += 1) {
      const child = fork(script, [], {
        execArgv: ['--import', 'tsx'],
        env: {
          ...process.env,
          PAYMIGRATE_KILL_SWITCH_NODE: '1',
          NODE_INDEX: String(nodeIndex),
          REDIS_URL: server.url,
          JOURNAL_FILE: filename,
          TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      const reports: NodeReport[] = [];
      child.on('message', (report: NodeReport) => reports.push(report));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      nodes.push({ child, reports, exited });
    }
    const ready = await waitFor(() => nodes.every((node) => node.reports.some((report) => report.type === 'ready')), 120_000);
    if (!ready) throw new Error('the node processes did not start within 120 s');

    /** Flips the switch with `flip`, and returns each node's propagation delay in milliseconds. */
    const measureSwitch = async (engage: boolean, flip: typeof killSwitch): Promise<number[]> => {
      const started = wallClock();
      const result = engage ? await flip.engage({ actor: 'bench', reason: 'propagation benchmark' }) : await flip.release({ actor: 'bench', reason: 'propagation benchmark' });
      const revision = result.state.revision;
      const appliedOn = (node: NodeProcess) => node.reports.find((report): report is Extract<NodeReport, { type: 'applied' }> => report.type === 'applied' && report.revision === revision);
      if (!(await waitFor(() => nodes.every((node) => appliedOn(node) !== undefined), 10_000))) throw new Error(`revision ${revision} did not reach every node within 10 s`);
      return nodes.map((node) => {
        const applied = appliedOn(node) as Extract<NodeReport, { type: 'applied' }>;
        const expected = engage ? 'stripe' : 'adyen';
        if (applied.engaged !== engage || applied.provider !== expected) throw new Error(`node ${applied.nodeIndex} routed the probe to ${applied.provider} after revision ${revision}`);
        return applied.at - started;
      });
    };

    log(`${switches} kill switch changes through the broadcast`);
    const delays: number[] = [];
    const fleetDelays: number[] = [];
    for (let change = 1; change <= switches; change += 1) {
      const perNode = await measureSwitch(change % 2 === 1, killSwitch);
      delays.push(...perNode);
      fleetDelays.push(Math.max(...perNode));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Fallback: with the announcement lost, the nodes learn by polling (every 1 s).
    const pollChanges = Math.max(2, Math.round(6 * scale));
    log(`${pollChanges} changes without an announcement (poll fallback)`);
    const pollDelays: number[] = [];
    for (let change = 1; change <= pollChanges; change += 1) {
      const engage = (switches + change) % 2 === 1;
      pollDelays.push(...(await measureSwitch(engage, unannounced)));
    }

    const p50 = median(delays);
    const p99 = percentile(delays, 0.99);
    const fleetP99 = percentile(fleetDelays, 0.99);
    const milliseconds = (value: number) => `${value.toFixed(2)} ms`;
    log(`broadcast: p50 ${milliseconds(p50)}, p99 ${milliseconds(p99)}, max ${milliseconds(Math.max(...delays))}; whole fleet p99 ${milliseconds(fleetP99)}; poll fallback max ${milliseconds(Math.max(...pollDelays))}`);
    return {
      title: 'Kill switch propagation across 4 processes (Redis broadcast + shared SQLite journal)',
      description:
        `${switches} kill switch changes (engage / release alternately) are journaled in a shared SQLite file (synchronous FULL) and announced on a real Redis pub/sub channel; ` +
        `${nodeCount} routing nodes in separate processes (node --import tsx) re-read the journal on the signal. A node reports when it applied the change, with the provider its router now gives a probe customer of the 50 % ramp. ` +
        'Delay = from just before `killSwitch.engage()` / `release()` is called (journal write included) to the node applying the change, in wall-clock time across processes.',
      targets: [
        { measure: 'p99 propagation delay per node', target: '<= 200 ms', achieved: milliseconds(p99), met: p99 <= 200, owner: 'ours' },
        { measure: 'every node applies a change (max)', target: '< 1 s', achieved: milliseconds(Math.max(...delays)), met: Math.max(...delays) < 1_000, owner: 'user' },
      ],
      figures: {
        switches,
        nodes: nodeCount,
        'node deliveries measured': delays.length,
        'p50 per node': milliseconds(p50),
        'p90 per node': milliseconds(percentile(delays, 0.9)),
        'p99 per node': milliseconds(p99),
        'max per node': milliseconds(Math.max(...delays)),
        'whole fleet p50 (last node)': milliseconds(median(fleetDelays)),
        'whole fleet p99 (last node)': milliseconds(fleetP99),
        'baseline: poll fallback without broadcast, p50': milliseconds(median(pollDelays)),
        'baseline: poll fallback without broadcast, max': milliseconds(Math.max(...pollDelays)),
      },
      notes: [
        'Every node checked the routing it applied: after an engagement its router sends the probe customer to the old provider (stripe), after a release to the new one (adyen).',
        'The poll fallback row shows what a lost announcement costs: a change reaches the nodes at their next poll (pollIntervalMs 1,000).',
        `Redis ${server.url} was started by startRedisServer (testkit) for this run and stopped afterwards.`,
      ],
    };
  } finally {
    for (const node of nodes) node.child.send({ type: 'stop' });
    await Promise.race([Promise.all(nodes.map((node) => node.exited)), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    for (const node of nodes) if (node.child.exitCode === null && node.child.pid !== undefined) process.kill(node.child.pid, 'SIGKILL');
    await broadcast.close();
    await journal.close();
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
};

if (process.env['PAYMIGRATE_KILL_SWITCH_NODE'] === '1') await runNode();

export default benchmark;
