import { describe, expect, it } from 'vitest';
import { bytesOf, createTokenTestBed, genericCsv, genericRow } from './__fixtures__/token-fixtures.js';
import { genericCsvFormat } from './formats/generic-csv-format.js';
import { openPlainMappingFile } from './mapping-file-source.js';
import { checkMappingFileImport } from './token-import-check.js';
import { rejectionPut, tokenImportRejectionsCollection } from './token-import-checkpoint.js';
import { tokenVaultCollection } from './token-vault.js';

describe('the total-queue check of a file import', () => {
  it('accounts for every row of a file longer than its first counter block, and names what was lost, duplicated or unexpected', async () => {
    // 2,500 rows: more than the 1,024 rows the per-row counters start with (they grow mid-check) and
    // more than one lookup batch of the check (2,000 rows).
    const rowCount = 2_500;
    // One row without a source token: rejected, and found by the check through its rejection alone.
    const missingTokenRow = 3;
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv(Array.from({ length: rowCount }, (_, index) => genericRow(index + 1, index + 1 === missingTokenRow ? { source_token: '' } : {})))));
    const report = await bed.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 400 });
    expect(report).toMatchObject({ status: 'completed', rows: rowCount, mapped: rowCount - 1, rejected: 1 });
    expect(await bed.engine.checkImport({ file, format: 'generic-csv' })).toMatchObject({ ok: true, rows: rowCount, vaultEntries: rowCount - 1, rejections: 1, lost: 0, duplicated: 0, unexpected: 0, countsAgree: true });

    // Tamper with the journal behind the importer's back: the check must see each anomaly by row.
    const { importId } = report;
    const lostRows = [1_200, 2_200];
    const duplicatedRows = [1_100, 2_100];
    const outOfRangeRows = [rowCount + 7, rowCount + 8];
    const forged = (row: number) => rejectionPut({ importId, row, reason: 'invalid_data', detail: 'forged', brand: 'visa', mappingKey: undefined });
    await bed.journal.write({
      puts: [...duplicatedRows, ...outOfRangeRows].map(forged),
      deletes: lostRows.map((row) => ({ collection: tokenVaultCollection, key: bed.engine.vault.keyOf('braintree', `card_old_${row}`), expectedVersion: 'any' as const })),
    });
    const check = await bed.engine.checkImport({ file, format: 'generic-csv' });
    expect(check).toMatchObject({
      ok: false,
      rows: rowCount,
      vaultEntries: rowCount - 3,
      rejections: 3,
      lost: 2,
      lostRows,
      duplicated: 2,
      duplicatedRows,
      unexpected: 2,
      unexpectedKeys: outOfRangeRows.map((row) => `${importId}:${String(row).padStart(10, '0')}`),
      countsAgree: false,
    });
    expect(await bed.journal.count(tokenImportRejectionsCollection)).toBe(5);

    // With one example of each, the counts stay whole and the lists stop at one.
    const brief = await checkMappingFileImport(bed.engine.vault, { file, format: genericCsvFormat, importId, sourceProvider: 'braintree', examples: 1, pageSize: 1_000 });
    expect(brief).toMatchObject({ lost: 2, lostRows: [lostRows[0]], duplicated: 2, duplicatedRows: [duplicatedRows[0]], unexpected: 2 });
    expect(brief.unexpectedKeys).toHaveLength(1);

    // Checked against an import that never ran, every row is lost; the examples stop at twenty.
    const never = await bed.engine.checkImport({ file, format: 'generic-csv', importId: 'never-ran' });
    expect(never).toMatchObject({ ok: false, rows: rowCount, lost: rowCount, vaultEntries: 0, rejections: 0, countsAgree: false });
    expect(never.lostRows).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  });
});
