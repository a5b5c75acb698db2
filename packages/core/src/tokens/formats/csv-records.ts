import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { MappingFileFormatError } from '../token-errors.js';

/** One CSV record after the header: its raw fields by column name, plus any structural problem. */
export interface CsvRecord {
  /** 1-based record number after the header. */
  readonly row: number;
  /** Fields by header name (missing trailing fields are absent). */
  readonly fields: Record<string, string>;
  /** Set when the record's field count differs from the header's. */
  readonly problem: string | undefined;
}

/**
 * Streams RFC 4180 records (csv-parse) with the first record as header, each turned into a row by
 * `toRow` (the format's field mapping, which must not throw) before it is yielded: one async
 * generator between the parser and the importer instead of two, which saves a promise and its
 * microtasks per row. Records with a wrong field count are passed on with a `problem` (the row is
 * rejected, the file goes on); broken quoting stops the file. Errors name the row and csv-parse's
 * error code, never the file's content.
 */
export async function* readCsvRecords<Row>(
  format: string,
  text: AsyncIterable<string | Uint8Array>,
  requiredColumns: readonly (readonly string[])[],
  toRow: (record: CsvRecord) => Row,
): AsyncGenerator<Row> {
  const source = Readable.from(text, { objectMode: false });
  const parser = source.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: 64 * 1024 }));
  // `pipe` does not forward a source failure: without this the parser would wait forever.
  source.once('error', (error) => parser.destroy(error));
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const values of parser as AsyncIterable<string[]>) {
      if (header === undefined) {
        header = values.map((value) => value.trim());
        const missing = requiredColumns.filter((alternatives) => !alternatives.some((column) => header?.includes(column)));
        if (missing.length > 0) {
          throw new MappingFileFormatError({ format, problem: `the header lacks the column(s) ${missing.map((alternatives) => alternatives.join(' or ')).join(', ')}` });
        }
        continue;
      }
      row += 1;
      const fields: Record<string, string> = {};
      const count = Math.min(values.length, header.length);
      for (let index = 0; index < count; index += 1) fields[header[index] as string] = values[index] as string;
      const problem = values.length === header.length ? undefined : `the record has ${values.length} fields, the header ${header.length}`;
      yield toRow({ row, fields, problem });
    }
  } catch (error) {
    if (MappingFileFormatError.isInstance(error)) throw error;
    const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'unreadable';
    // csv-parse's own message and fields can quote the record: keep only its code.
    throw new MappingFileFormatError({ format, row: row + 1, problem: `CSV error ${code}` });
  } finally {
    parser.destroy();
    source.destroy();
  }
  if (header === undefined) throw new MappingFileFormatError({ format, problem: 'the file is empty (no header)' });
}
