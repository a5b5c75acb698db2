import { describe, expect, it } from 'vitest';
import { bytesOf, createTokenTestBed, genericCsv, genericRow } from './__fixtures__/token-fixtures.js';
import { openPlainMappingFile } from './mapping-file-source.js';
import { type VaultAuditEntry, vaultAuditCollection } from './vault-audit.js';

describe('the vault audit log of a file import', () => {
  it('records each run that starts or resumes an import and its completion, not each row written', async () => {
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv(Array.from({ length: 30 }, (_, index) => genericRow(index + 1)))));
    const controller = new AbortController();
    const first = await bed.engine.importMappingFile({
      file,
      format: 'generic-csv',
      batchSize: 10,
      owner: 'worker-1',
      signal: controller.signal,
      onBatch: () => controller.abort(),
    });
    expect(first).toMatchObject({ status: 'running', rows: 10 });
    const importEntries = async (): Promise<VaultAuditEntry[]> =>
      (await bed.journal.list(vaultAuditCollection, { index: 'import-file', limit: 100 })).map((record) => JSON.parse(record.value) as VaultAuditEntry);
    expect((await importEntries()).map((entry) => entry.result)).toEqual(['started']);

    const second = await bed.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 10, owner: 'worker-1' });
    expect(second).toMatchObject({ status: 'completed', rows: 30, mapped: 30, resumedAfterRow: 10 });
    // A completed import run again writes nothing, not even an audit entry.
    await bed.engine.importMappingFile({ file, format: 'generic-csv', owner: 'worker-1' });

    const entries = await importEntries();
    expect(entries.map((entry) => entry.result)).toEqual(['started', 'started', 'completed']);
    for (const entry of entries) {
      expect(entry).toMatchObject({ actor: 'worker-1', action: 'import-file', resource: first.importId, purpose: 'token-import', origin: 'test-host#1' });
    }
    // Thirty mappings written, three audit entries: writes are audited per import run, reads per mapping.
    expect(await bed.journal.count(vaultAuditCollection)).toBe(3);
  });
});
