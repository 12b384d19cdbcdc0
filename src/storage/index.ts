import type { Config } from '../config/schema.js';
import type { DirectoryStore } from './directory.js';
import { memoryDirectoryStore } from './memory/directory.js';
import { openSqlite } from './sqlite/db.js';
import { sqliteDirectoryStore } from './sqlite/directory.js';

/** Every domain's storage, opened together on one backend. */
export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  readonly directory: DirectoryStore;
  /** Throws when the backend cannot answer (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  presenceMaxEntries: number;
}

export async function openStore(config: Config['storage'], o: StoreOptions): Promise<Store> {
  switch (config.kind) {
    case 'memory':
      return { kind: 'memory', directory: memoryDirectoryStore(o.presenceMaxEntries), ping: async () => undefined, close: async () => undefined };
    case 'sqlite':
    case 'sled': {
      const db = openSqlite(config.path);
      return {
        kind: 'sqlite',
        directory: sqliteDirectoryStore(db),
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
