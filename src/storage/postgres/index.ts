// Opening every domain's store on one PostgreSQL database, migrations first; any number of replicas at once.
import type { Store } from '../store.js';
import { ARTIFACTS_MIGRATIONS, postgresArtifactStore } from './artifacts.js';
import { AUDIT_MIGRATIONS, postgresAuditStore } from './audit.js';
import { listenCatalogChanges, type CatalogListener } from './catalog-changes.js';
import { CIRCUITS_MIGRATIONS, postgresCircuitStore } from './circuits.js';
import { migrate, openPool } from './db.js';
import { DIRECTORY_MIGRATIONS, postgresDirectoryStore } from './directory.js';
import { LEDGER_MIGRATIONS, postgresLedgerStore } from './ledger.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** presence.max_entries: an insert beyond drops the least recently seen. */
  presenceMaxEntries: number;
  /** Errors of idle pooled connections (the pool recovers; they are worth a log line). */
  onIdleError: (err: Error) => void;
}

/**
 * Every domain on one PostgreSQL database (the schema is the URL's search_path, default `public`).
 * Migrations run before the store is returned; any number of replicas may open it at once.
 */
export async function openPostgresStore(o: PostgresOptions): Promise<Store> {
  const pool = openPool(o.url, o.poolSize, o.onIdleError);
  try {
    await migrate(pool, {
      directory: DIRECTORY_MIGRATIONS,
      circuits: CIRCUITS_MIGRATIONS,
      artifacts: ARTIFACTS_MIGRATIONS,
      ledger: LEDGER_MIGRATIONS,
      audit: AUDIT_MIGRATIONS,
    });
  } catch (e) {
    await pool.end();
    throw e;
  }
  let closed: Promise<void> | undefined;
  let listener: CatalogListener | undefined;
  return {
    kind: 'postgres',
    directory: postgresDirectoryStore(pool, o.presenceMaxEntries),
    circuits: postgresCircuitStore(pool),
    artifacts: postgresArtifactStore(pool),
    ledger: postgresLedgerStore(pool),
    audit: postgresAuditStore(pool),
    catalogChanges: () => (listener ??= listenCatalogChanges(o.url, o.onIdleError)),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => (closed ??= Promise.all([listener?.close(), pool.end()]).then(() => undefined)),
  };
}
