import type { KeyProviderV1 } from '@paymigrate/core';
import type { TokensConfig } from '../config/config-schema.js';
import { type Environment, readSecret } from './environment.js';
import { createLocalKeyProvider, localKeyFromFile, localKeyFromText } from './local-key-provider.js';

/**
 * The key provider of the token vault the configuration names: a local key file (created when
 * absent), or a key held in an environment variable.
 *
 * @throws ConfigFileError when the variable is not set.
 * @throws LocalKeyError when the key is not a 32-byte base64 key.
 */
export function createConfiguredKeyProvider(config: TokensConfig['keyProvider'], environment: Environment, source: string): KeyProviderV1 {
  if (config.type === 'local-file') return createLocalKeyProvider(localKeyFromFile(config.file));
  const text = readSecret(environment, config.keyEnvironmentVariable, 'tokens.keyProvider.keyEnvironmentVariable', source, 'the base64 AES-256 key (openssl rand -base64 32)');
  return createLocalKeyProvider(localKeyFromText(text, `the environment variable ${config.keyEnvironmentVariable}`));
}
