// The measured floor of resolve and register: the baseline's bare Fastify, with routes doing only the work each cannot avoid.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../src/app/start.js';
import { hexToBytes, utf8ToBytes } from '../src/crypto/encoding.js';
import { x25519PrivateFromRaw } from '../src/crypto/x25519.js';
import { openEnvelope, parseEnvelope, sealEnvelope, type EnvelopeWire } from '../src/directory/envelope.js';
import { Vault } from '../src/directory/vault.js';
import { closeSqlite, openSqlite } from '../src/storage/sqlite/db.js';
import { sqliteDirectoryStore } from '../src/storage/sqlite/directory.js';
import { benchIdentity } from './floor.js';

// The sum of parts (bench/floor.ts) adds the crypto's CPU to the baseline's, and the baseline runs at ~70k
// GET/s with a load generator that never sleeps. At resolve's or register's rate the load generator does
// sleep, and the kernel charges waking it to the server's writev (perf: 12% of resolve's CPU, ~16 µs per
// reply, against <1 µs in the baseline). Any server pays that at that rate; so does this one. Its routes
// use the registry's own functions and the same bodies, with none of the registry's checks.
// argv: log level, the keys folder of `keys gen` (envelope.key.json), a folder for the SQLite file.
const [level = 'warn', keysDir = '.', stateDir = '.'] = process.argv.slice(2);
const key = JSON.parse(readFileSync(join(keysDir, 'envelope.key.json'), 'utf8')) as {
  kid_hex: string;
  x25519_private_key_hex: string;
  pepper_hex: string;
};
const server = x25519PrivateFromRaw(hexToBytes(key.x25519_private_key_hex));
const kid = hexToBytes(key.kid_hex);
const pepper = hexToBytes(key.pepper_hex);
const vault = new Vault(pepper);
const db = openSqlite(join(stateDir, `floor-server-${process.pid}.sqlite3`));
const store = sqliteDirectoryStore(db, 1_000_000);
// resolve's stored identity: one at-rest blob of the bench identity's size (no store read: not in the floor).
const storedIndex = new Uint8Array(32);
const stored = vault.seal('identity', storedIndex, utf8ToBytes(JSON.stringify(benchIdentity('00'.repeat(32)))));

const app = Fastify({ loggerInstance: createLogger(level as Parameters<typeof createLogger>[0]) });
// resolve: one AEAD pass to open the identity at rest, then X25519, the envelope key and one AEAD pass to seal it.
app.post('/resolve', async (req) => {
  const body = req.body as { handle: string; requester_ephemeral_pubkey_hex: string };
  const handle = hexToBytes(body.handle);
  const plaintext = vault.open('identity', storedIndex, stored);
  const envelope = sealEnvelope({
    pepper,
    handle,
    kid,
    sender: server,
    recipientPublic: hexToBytes(body.requester_ephemeral_pubkey_hex),
    plaintext,
  });
  return { handle: body.handle, envelope };
});
// register: X25519, the envelope key and one AEAD pass to open, one to seal at rest, and the durable write.
app.post('/register', async (req, reply) => {
  const body = req.body as { handle: string; envelope: EnvelopeWire };
  const handle = hexToBytes(body.handle);
  const parsed = parseEnvelope(body.envelope);
  const plaintext = 'bad' in parsed ? undefined : openEnvelope(pepper, handle, server, parsed);
  if (!plaintext) return reply.code(400).send({ ok: false });
  await store.insertIdentity(handle, vault.seal('identity', handle, plaintext));
  return { ok: true };
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
console.log(`floor server listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
const stop = () =>
  void app.close().then(() => {
    closeSqlite(db);
    process.exit(0);
  });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
