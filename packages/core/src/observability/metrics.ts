import { metrics, type Meter } from '@opentelemetry/api';

export type { Meter } from '@opentelemetry/api';

/** Instrumentation scope name under which every paymigrate instrument is registered. */
export const meterName = '@paymigrate/core';

/**
 * The meter engines record on when none is injected: the global OpenTelemetry meter provider's,
 * which is a no-op until the application registers an SDK. paymigrate never installs an SDK itself.
 */
export function defaultMeter(): Meter {
  return metrics.getMeter(meterName);
}
