import { type JournalV1, type TokenImportCheckpoint, tokenImportsCollection, type TokenMigrationReadiness } from '@paymigrate/core';

/**
 * Whether the token migration lets shadow traffic start: no file import may still be running.
 * A shop without stored cards has run no import, and is ready.
 */
export async function tokenImportReadiness(journal: JournalV1): Promise<TokenMigrationReadiness> {
  const records = await journal.list(tokenImportsCollection, { limit: 10_000 });
  const imports = records.map((record) => JSON.parse(record.value) as TokenImportCheckpoint);
  if (imports.length === 0) return { ready: true, reason: 'no token import has run (no stored cards to move)' };
  const running = imports.filter((checkpoint) => checkpoint.status !== 'completed');
  if (running.length > 0) return { ready: false, reason: `${running.length} token import(s) still running: ${running.map((checkpoint) => checkpoint.importId).join(', ')}` };
  const mapped = imports.reduce((sum, checkpoint) => sum + checkpoint.mapped, 0);
  const recollect = imports.reduce((sum, checkpoint) => sum + checkpoint.recollect, 0);
  return { ready: true, reason: `${imports.length} token import(s) completed: ${mapped} mapped, ${recollect} in re-collection` };
}
