// The storage of every domain behind one handle: what the app opens, passes down and closes.
import type { ArtifactStore } from './artifacts.js';
import type { AuditStore } from './audit.js';
import type { CatalogChanges, CircuitStore } from './circuits.js';
import type { DirectoryStore } from './directory.js';
import type { LedgerStore } from './ledger.js';

/** Every domain's storage, opened together on one backend. */
export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  readonly directory: DirectoryStore;
  readonly circuits: CircuitStore;
  readonly artifacts: ArtifactStore;
  readonly ledger: LedgerStore;
  readonly audit: AuditStore;
  /** Changes to the catalog by other processes on this store; PostgreSQL starts listening at the first call. */
  catalogChanges(): CatalogChanges;
  /** Throws when the backend cannot answer (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
