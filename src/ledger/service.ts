// `enigma-registry ledger` as a server: the nonce ledger alone over HTTP on the configured storage.
import type { FastifyInstance } from 'fastify';
import { boundUrl, createHttpApp } from '../http/base.js';
import { timeoutOptions } from '../http/transport.js';
import { openConfiguredStore } from '../storage/index.js';
import type { Logger } from 'pino';
import { parseAddress } from '../config/load.js';
import type { Clock } from '../config/clock.js';
import type { Config } from '../config/schema.js';
import { embeddedLedger } from './open.js';
import { ledgerRoutes } from './routes.js';

export interface RunningLedgerService {
  app: FastifyInstance;
  /** Base URL with the port actually bound; the value for a registry's `ledger.url`. */
  url: string;
  close(): Promise<void>;
}

/**
 * `enigma-registry ledger`: the ledger alone over HTTP at `ledger.address`, with the registry's error
 * envelope and strict validation. It has no authentication of its own: bind it to a private network.
 */
export async function startLedgerService(config: Config, log: Logger, clock?: Clock): Promise<RunningLedgerService> {
  const store = await openConfiguredStore(config, log);
  const opened = embeddedLedger(config, store, log, clock);
  const shutdown = async () => {
    opened.stop();
    await store.close();
  };
  // The timeouts, but no per-address cap: its clients are the registry replicas, each with many connections.
  const app = createHttpApp(log, timeoutOptions(config.http));
  try {
    await app.register(ledgerRoutes, { ledger: opened.ledger, maxTtlSeconds: config.ledger.max_ttl_seconds });
    const { host, port } = parseAddress(config.ledger.address);
    await app.listen({ host, port });
  } catch (e) {
    await app.close();
    await shutdown();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return { app, url: boundUrl(app, 'http'), close: () => (closing ??= app.close().then(shutdown)) };
}
