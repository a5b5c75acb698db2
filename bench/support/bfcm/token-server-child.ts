// A child process serving the generic token-import fake (the new provider's re-tokenization API,
// rate limited) over loopback HTTP, so it runs off the parent's event loop. Reports `listening`
// with its URL; answers `stats` with the fake's counters.
import { createTokenImportFake } from '../../../packages/testkit/src/fakes/token-import/token-import-fake.js';
import { serveTokenImportFake } from '../../../packages/testkit/src/fakes/token-import/token-import-server.js';

async function main(): Promise<void> {
  // Never outlive the parent.
  process.once('disconnect', () => process.exit(0));
  const requestsPerSecond = Number(process.env.PAYMIGRATE_TOKEN_API_RATE ?? '1000');
  const fake = createTokenImportFake({ rateLimit: { requestsPerSecond }, recordCalls: false, provider: 'paypal' });
  const server = await serveTokenImportFake(fake);
  process.on('message', (message) => {
    const type = (message as { readonly type: string }).type;
    if (type === 'stats') process.send?.({ type: 'stats', stats: fake.stats() });
    else if (type === 'stop') void server.close().then(() => process.exit(0));
  });
  process.send?.({ type: 'listening', url: server.url });
}

main().catch((error: unknown) => {
  process.stderr.write(`token server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
