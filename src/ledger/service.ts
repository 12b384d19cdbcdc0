import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { parseAddress } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ErrorBodySchema } from '../errors.js';
import { BODY_LIMIT } from '../server/app.js';
import { installErrorHandling } from '../server/errors-plugin.js';
import { validatorCompiler } from '../server/validation.js';
import type { LedgerStore } from '../storage/ledger.js';
import { memoryLedgerStore } from '../storage/memory/ledger.js';
import { openSqlite } from '../storage/sqlite/db.js';
import { sqliteLedgerStore } from '../storage/sqlite/ledger.js';
import { embeddedLedger } from './open.js';
import { ledgerRoutes } from './routes.js';

export interface RunningLedgerService {
  app: FastifyInstance;
  /** Base URL with the port actually bound; the value for a registry's `ledger.url`. */
  url: string;
  close(): Promise<void>;
}

/** Only the ledger's tables: a standalone ledger has no directory or circuits to keep. */
function openLedgerStore(config: Config): { ledger: LedgerStore; ping(): Promise<void>; close(): void } {
  switch (config.storage.kind) {
    case 'memory':
      return { ledger: memoryLedgerStore(config.ledger.max_entries), ping: async () => undefined, close: () => undefined };
    case 'sqlite':
    case 'sled': {
      const db = openSqlite(config.storage.path);
      return {
        ledger: sqliteLedgerStore(db),
        ping: async () => {
          db.prepare('SELECT 1').get();
        },
        close: () => {
          if (db.open) db.close();
        },
      };
    }
    case 'postgres':
      throw new Error('storage.kind = "postgres" is not available in this build yet');
  }
}

/**
 * `enigma-registry ledger`: the ledger alone over HTTP at `ledger.address`, with the registry's error
 * envelope and strict validation. It has no authentication of its own: bind it to a private network.
 */
export async function startLedgerService(config: Config, log: Logger): Promise<RunningLedgerService> {
  const store = openLedgerStore(config);
  const opened = embeddedLedger(config, store, log);
  const shutdown = () => {
    opened.stop();
    store.close();
  };
  const options: FastifyHttpOptions<Server> = { loggerInstance: log, bodyLimit: BODY_LIMIT, return503OnClosing: true, forceCloseConnections: 'idle' };
  const app = Fastify(options);
  try {
    app.setValidatorCompiler(validatorCompiler());
    installErrorHandling(app);
    app.removeContentTypeParser('text/plain');
    app.addSchema(ErrorBodySchema);
    await app.register(ledgerRoutes, { ledger: opened.ledger, maxTtlSeconds: config.ledger.max_ttl_seconds });
    const { host, port } = parseAddress(config.ledger.address);
    await app.listen({ host, port });
  } catch (e) {
    await app.close();
    shutdown();
    throw e;
  }
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr : { address: '127.0.0.1', port: 0 };
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | undefined;
  return { app, url: `http://${host}:${bound.port}`, close: () => (closing ??= app.close().then(shutdown)) };
}
