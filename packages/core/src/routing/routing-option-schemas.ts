import type { Meter } from '@opentelemetry/api';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';

/** True for a non-null object whose `name` members are all functions. */
function hasMethods(value: unknown, ...names: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((name) => typeof Reflect.get(value, name) === 'function');
}

/** A `JournalV1` (checked by its methods). */
export const journalSchema = z
  .custom<JournalV1>((value) => hasMethods(value, 'get', 'write'), { message: 'must be a JournalV1 (with get and write)' })
  .meta({ fix: 'pass an opened journal: InMemoryJournal, the SQLite or the PostgreSQL journal' });

/** A `ClockV1`. */
export const clockSchema = z.custom<ClockV1>((value) => hasMethods(value, 'now', 'sleep'), { message: 'must be a ClockV1 (with now and sleep)' });

/** A pino logger from `createLogger`. */
export const loggerSchema = z.custom<Logger>((value) => hasMethods(value, 'info', 'warn', 'error'), { message: 'must be a logger (createLogger)' });

/** An OpenTelemetry meter. */
export const meterSchema = z.custom<Meter>((value) => hasMethods(value, 'createCounter', 'createHistogram'), { message: 'must be an OpenTelemetry Meter' });

/** A positive whole number of milliseconds. */
export const millisecondsSchema = z.number().int().positive();
