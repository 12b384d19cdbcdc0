// Opening the store a configuration names: memory, SQLite (also for "sled") or PostgreSQL.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { localCatalogChanges, type CatalogChanges } from './circuits.js';
import { memoryAuditStore } from './memory/audit.js';
import { memoryArtifactStore } from './memory/artifacts.js';
import { memoryCircuitStore } from './memory/circuits.js';
import { memoryDirectoryStore } from './memory/directory.js';
import { memoryLedgerStore } from './memory/ledger.js';
import { openPostgresStore } from './postgres/index.js';
import { sqliteAuditStore } from './sqlite/audit.js';
import { checkWritable, closeSqlite, openSqlite } from './sqlite/db.js';
import { sqliteDirectoryStore } from './sqlite/directory.js';
import { sqliteLedgerStore } from './sqlite/ledger.js';
import { fileArtifactStore } from './sqlite/artifacts.js';
import { sqliteCatalogChanges, sqliteCircuitStore } from './sqlite/circuits.js';
import type { Store } from './store.js';

export interface StoreOptions {
  presenceMaxEntries: number;
  /** Where the SQLite backend keeps artifact files (circuits.artifact_dir, default <state_dir>/artifacts). */
  artifactDir: string;
  /** Bounds of the memory backend's ledger (nonces, events) and audit trail. */
  ledgerMaxEntries: number;
  auditMaxEntries: number;
  /** Errors the backend recovers from by itself (a dropped idle PostgreSQL connection): log them. */
  onBackendError?: (err: Error) => void;
}

/** The store a configuration describes (the registry and the standalone ledger open theirs alike). */
export function openConfiguredStore(config: Config, log: Pick<Logger, 'warn'>): Promise<Store> {
  return openStore(config.storage, {
    presenceMaxEntries: config.presence.max_entries,
    artifactDir: config.circuits.artifact_dir ?? join(config.state_dir, 'artifacts'),
    ledgerMaxEntries: config.ledger.max_entries,
    auditMaxEntries: config.ledger.max_entries,
    onBackendError: (err) => log.warn({ err }, 'storage connection error (recovered by reconnecting)'),
  });
}

export async function openStore(config: Config['storage'], o: StoreOptions): Promise<Store> {
  switch (config.kind) {
    case 'memory':
      return {
        kind: 'memory',
        directory: memoryDirectoryStore(o.presenceMaxEntries),
        circuits: memoryCircuitStore(),
        artifacts: memoryArtifactStore(),
        ledger: memoryLedgerStore(o.ledgerMaxEntries),
        audit: memoryAuditStore(o.auditMaxEntries),
        catalogChanges: () => localCatalogChanges,
        ping: async () => undefined,
        close: async () => undefined,
      };
    case 'sqlite':
    case 'sled': {
      const db = openSqlite(config.path, {
        walLimitBytes: config.wal_limit_mib * 1024 * 1024,
        commitWindowMs: config.commit_window_ms,
      });
      let changes: CatalogChanges | undefined;
      return {
        kind: 'sqlite',
        directory: sqliteDirectoryStore(db, o.presenceMaxEntries),
        circuits: sqliteCircuitStore(db),
        artifacts: fileArtifactStore(o.artifactDir),
        ledger: sqliteLedgerStore(db),
        audit: sqliteAuditStore(db),
        catalogChanges: () => (changes ??= sqliteCatalogChanges(db)),
        ping: async () => {
          checkWritable(db);
          db.prepare('SELECT 1').get();
        },
        close: () => closeSqlite(db),
      };
    }
    case 'postgres':
      if (!config.url) throw new Error('storage.url is required when storage.kind = "postgres"');
      return openPostgresStore({
        url: config.url,
        poolSize: config.pool_size,
        presenceMaxEntries: o.presenceMaxEntries,
        onIdleError: o.onBackendError ?? (() => undefined),
      });
  }
}
