import type pg from 'pg';

/** What the journal's statements need from a pool or a checked-out client. */
export interface Queryable {
  /** Runs one parameterised statement. */
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}
