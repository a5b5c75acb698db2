// Public surface of @paymigrate/cli: the command line as a function, the rehearsal, the
// configuration schema and loader, and the runtime the operator commands build from a config.
export { CliUsageError, ConfigFileError, RehearsalError, WorldUnavailableError } from './cli-errors.js';
export { LocalKeyError, createLocalKeyProvider } from './runtime/local-key-provider.js';
export { createProgram, exitCodes, runCli } from './cli.js';
export {
  type AdyenProviderConfig,
  type JournalConfig,
  type PaymigrateConfig,
  type PaymigrateConfigInput,
  paymigrateConfigSchema,
  type PayPalProviderConfig,
  type PlatformConfig,
  type StripeProviderConfig,
  type SupportedProvider,
  supportedProviders,
} from './config/config-schema.js';
export { exampleConfig } from './config/example-config.js';
export { defaultConfigFile, type LoadedConfig, loadConfigFile, validateConfig } from './config/load-config.js';
export { type CommandIo, memoryIo, processIo } from './output/command-io.js';
export { collectStatus, renderStatus, type StatusReport } from './commands/status.js';
export { type RehearsalHooks, type RehearsalResult, runRehearsal } from './rehearsal/rehearsal.js';
export { parseRehearsalOptions, type RehearsalFault, rehearsalFaults, type RehearsalOptions } from './rehearsal/rehearsal-options.js';
export { type RehearsalReport, renderReport } from './rehearsal/report.js';
export type { InvariantCounts } from './rehearsal/verification.js';
export { createRuntime, type PaymigrateRuntime, type RuntimeOptions } from './runtime/runtime.js';
export { createJournalAdyenLedger } from './runtime/journal-adyen-ledger.js';
