import type { Config } from '../config/schema.js';
import type { AuditStore } from './audit.js';
import type { DirectoryStore } from './directory.js';
import type { LedgerStore } from './ledger.js';
import { memoryAuditStore } from './memory/audit.js';
import { memoryDirectoryStore } from './memory/directory.js';
import { memoryLedgerStore } from './memory/ledger.js';
import { sqliteAuditStore } from './sqlite/audit.js';
import { openSqlite } from './sqlite/db.js';
import { sqliteDirectoryStore } from './sqlite/directory.js';
import { sqliteLedgerStore } from './sqlite/ledger.js';

/** Every domain's storage, opened together on one backend. */
export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  readonly directory: DirectoryStore;
  readonly ledger: LedgerStore;
  readonly audit: AuditStore;
  /** Throws when the backend cannot answer (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  presenceMaxEntries: number;
  /** Bounds of the memory backend's ledger (nonces, events) and audit trail. */
  ledgerMaxEntries: number;
  auditMaxEntries: number;
}

export async function openStore(config: Config['storage'], o: StoreOptions): Promise<Store> {
  switch (config.kind) {
    case 'memory':
      return {
        kind: 'memory',
        directory: memoryDirectoryStore(o.presenceMaxEntries),
        ledger: memoryLedgerStore(o.ledgerMaxEntries),
        audit: memoryAuditStore(o.auditMaxEntries),
        ping: async () => undefined,
        close: async () => undefined,
      };
    case 'sqlite':
    case 'sled': {
      const db = openSqlite(config.path);
      return {
        kind: 'sqlite',
        directory: sqliteDirectoryStore(db),
        ledger: sqliteLedgerStore(db),
        audit: sqliteAuditStore(db),
        ping: async () => {
          db.prepare('SELECT 1').get();
        },
        close: async () => {
          if (db.open) db.close();
        },
      };
    }
    case 'postgres':
      throw new Error('storage.kind = "postgres" is not available in this build yet');
  }
}
