// The floor of each directory scenario: the least a request can cost. That is the bare route (the baseline's CPU
// per request, measured right before the scenario) plus the work the scenario cannot avoid, measured here in the
// same run with the registry's own functions: resolve = X25519 + 2 AEAD passes (open at rest, seal to the
// requester); register = X25519 + AEAD open + at-rest seal + the durable write through the server's own group
// commit, with as many writes in flight as the bench has connections: the best batching 16 clients allow (one
// write alone costs 4-10x more, nearly all of it the commit and the fdatasync).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { aeadOpen, aeadSeal } from '../src/crypto/aead.js';
import { x25519Generate, x25519Shared } from '../src/crypto/x25519.js';
import { closeSqlite, openSqlite } from '../src/storage/sqlite/db.js';
import { sqliteDirectoryStore } from '../src/storage/sqlite/directory.js';

/** The identity the bench registers and resolves (its size sets the AEAD passes' cost). */
export const benchIdentity = (user_id: string) => ({
  user_id,
  username_hint: null,
  signing_public_key: [1, 2, 3],
  encryption_public_key: [4, 5, 6],
  signature: [7, 8, 9],
  created_at_ms: Date.now(),
});

/** CPU µs per operation of the unavoidable parts. */
export interface FloorParts {
  x25519: number;
  /** One XChaCha20-Poly1305 pass over an identity. */
  aead: number;
  /** One identity insert on SQLite, fdatasync included, with `inFlight` writes issued together (sharing commits and syncs). */
  durable_write: number;
}

const cpuNow = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** CPU µs per call of `op` over about `seconds` (all threads of this process). */
async function cpuPerOp(seconds: number, inFlight: number, op: () => unknown): Promise<number> {
  for (let i = 0; i < 100; i++) await op(); // warm-up: JIT, allocation pools
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = cpuNow();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await op();
        n++;
      }
    }),
  );
  return (cpuNow() - t0) / n;
}

export async function measureFloorParts(o: {
  dir: string;
  seconds: number;
  identityBytes: number;
  inFlight: number;
}): Promise<FloorParts> {
  const a = x25519Generate();
  const b = x25519Generate();
  const x25519 = await cpuPerOp(o.seconds, 1, () => x25519Shared(a, b.publicKey));
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const ad = randomBytes(32);
  const sealed = aeadSeal(key, nonce, ad, randomBytes(o.identityBytes));
  const aead = await cpuPerOp(o.seconds, 1, () => aeadOpen(key, nonce, ad, sealed));
  const db = openSqlite(join(o.dir, `floor-${process.pid}.sqlite3`));
  const store = sqliteDirectoryStore(db, 1_000_000);
  const blob = randomBytes(1 + sealed.length + 24);
  const durable_write = await cpuPerOp(o.seconds, o.inFlight, () =>
    store.insertIdentity(randomBytes(32), blob),
  ).finally(() => closeSqlite(db));
  return { x25519, aead, durable_write };
}

/** What a scenario's floor is made of, beyond the bare route; undefined when it has no floor here. */
export function floorOf(scenario: string, p: FloorParts): Record<string, number> | undefined {
  switch (scenario) {
    case 'envelope_pubkey':
    case 'check_user':
    case 'envelope_pubkey [postgres]':
    case 'check_user [postgres]':
      return {};
    case 'resolve':
    case 'resolve [postgres]':
      return { x25519: p.x25519, aead_x2: 2 * p.aead };
    case 'register': // SQLite; a PostgreSQL write costs the server a round trip instead, not measured here
      return { x25519: p.x25519, aead_x2: 2 * p.aead, durable_write: p.durable_write };
    default:
      return undefined;
  }
}
