import { describe, expect, it } from 'vitest';
import { createMigrationOrchestrator } from '../cutover/migration-orchestrator.js';
import { withRoutingAnnouncements } from './announcing-orchestrator.js';
import { parseRoutingChange } from './control-plane-broadcast.js';
import { createRoutingHarness, newProvider, oldProvider } from './__fixtures__/routing-harness.js';

describe('withRoutingAnnouncements', () => {
  it('announces every journaled change (start, advance, ramp, rollback) with the new epoch', async () => {
    const harness = await createRoutingHarness();
    await harness.orchestrator.start({ actor: 'a', reason: 'b' });
    await harness.orchestrator.advance({ to: 'shadow', actor: 'a', reason: 'b' });
    await harness.orchestrator.advance({ to: 'ramp', actor: 'a', reason: 'b' });
    await harness.orchestrator.setRampPercent({ percent: 5, actor: 'a', reason: 'b' });
    await harness.orchestrator.rollback({ actor: 'a', reason: 'b' });
    const messages = harness.broadcast.published.map((message) => parseRoutingChange(message));
    expect(messages.map((message) => [message?.source, message?.revision])).toEqual([
      ['migration', 1],
      ['migration', 2],
      ['migration', 3],
      ['migration', 4],
      ['migration', 5],
    ]);
    expect(harness.orchestrator.migrationId).toBe('default');
    expect((await harness.orchestrator.status()).phase).toBe('rolled_back');
  });

  it('never fails a change because the announcement failed (nodes poll), and logs it', async () => {
    const harness = await createRoutingHarness();
    const orchestrator = withRoutingAnnouncements(
      createMigrationOrchestrator({ journal: harness.journal, fromProvider: oldProvider, toProvider: newProvider, clock: harness.clock, logger: harness.logger, inFlightPayments: { countInFlight: async () => 0 } }),
      { broadcast: { publish: () => Promise.reject(new Error('redis down')), subscribe: async () => async () => undefined }, logger: harness.logger },
    );
    expect((await orchestrator.start()).epoch).toBe(1);
    expect(harness.lines.some((line) => line['msg'] === 'migration change journaled but not broadcast; nodes will see it at their next poll' && line['error'] === 'redis down')).toBe(true);
    const silent = withRoutingAnnouncements(
      createMigrationOrchestrator({ journal: harness.journal, fromProvider: oldProvider, toProvider: newProvider, clock: harness.clock, logger: harness.logger, inFlightPayments: { countInFlight: async () => 0 } }),
      { broadcast: { publish: () => Promise.reject('text'), subscribe: async () => async () => undefined } },
    );
    expect((await silent.advance({ to: 'shadow', actor: 'a', reason: 'b' })).phase).toBe('shadow');
  });
});
