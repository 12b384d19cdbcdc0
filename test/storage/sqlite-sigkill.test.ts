import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defer } from '../helpers/cleanup.js';
import { identityFor, sealTo } from '../helpers/directory-client.js';
import { call, spawnCli, tempDir, type SpawnedRegistry } from '../helpers/registry.js';

const PEPPER = 'ab'.repeat(32);
// Seeded, so a failure can be replayed: ENIGMA_TEST_SEED=<n> node --test ...
const SEED = Number(process.env.ENIGMA_TEST_SEED ?? Date.now() % 100_000);

/** mulberry32: a small seeded PRNG, enough to pick the moment of the kill. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test(`SQLite: SIGKILL under concurrent registers and ledger burns loses no answered write (seed ${SEED})`, {
  timeout: 120_000,
}, async (t) => {
  const random = prng(SEED);
  const dir = tempDir(t);
  const config = join(dir.path, 'registry.toml');
  // A 1 MiB WAL limit, so the kill may also land while writes wait for a WAL truncation.
  writeFileSync(
    config,
    `address = "127.0.0.1:0"
state_dir = "${dir.path}"
[storage]
kind = "sqlite"
path = "${join(dir.path, 'registry.sqlite3')}"
wal_limit_mib = 1
[rate_limit]
enabled = false
[envelope]
pepper_hex = "${PEPPER}"
keys = [{ kid_hex = "0102030405060708", x25519_private_key_hex = "${'cd'.repeat(32)}", active = true }]
`,
  );
  let reg: SpawnedRegistry | undefined;
  defer(t, async () => {
    reg?.child.kill('SIGKILL');
    await reg?.exited;
  });
  reg = await spawnCli(['serve', '--config', config]);
  const url = reg.url;
  const key = (await call(url, 'GET', '/envelope_pubkey')).body;
  const registered: string[] = [];
  const burnt: Array<{ uuid: string; tau: string }> = [];
  // The kill comes after a seeded number of answered writes, somewhere in the thick of the load.
  const killAfter = 100 + Math.floor(random() * 400);
  let killed = false;
  const answered = () => {
    if (!killed && registered.length + burnt.length >= killAfter) {
      killed = true;
      reg!.child.kill('SIGKILL');
    }
  };
  let next = 0;
  const registerLoop = async () => {
    while (!killed) {
      const id = identityFor(`sigkill-${SEED}-${next++}`);
      const r = await call(url, 'POST', '/register', {
        handle: id.user_id,
        envelope: sealTo(key, PEPPER, id.user_id, id),
      }).catch(() => undefined);
      if (r?.status === 200) {
        registered.push(id.user_id);
        answered();
      } else if (r) assert.fail(`register answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
  };
  const burnLoop = async () => {
    while (!killed) {
      const n = await call(url, 'POST', '/api/ledger/reserve', {}).catch(() => undefined);
      if (!n) continue;
      assert.equal(n.status, 200);
      const r = await call(url, 'POST', '/api/ledger/response', { uuid: n.body.uuid, tau: n.body.tau }).catch(
        () => undefined,
      );
      if (r?.status === 200) {
        burnt.push({ uuid: n.body.uuid, tau: n.body.tau });
        answered();
      } else if (r) assert.fail(`burn answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all([...Array.from({ length: 8 }, registerLoop), ...Array.from({ length: 8 }, burnLoop)]);
  await reg.exited;
  assert.ok(
    registered.length > 0 && burnt.length > 0,
    `both kinds of write were answered (${registered.length} registers, ${burnt.length} burns)`,
  );

  reg = await spawnCli(['serve', '--config', config]);
  for (const h of registered)
    assert.deepEqual(
      (await call(reg.url, 'GET', `/check_user/${h}`)).body,
      { exists: true },
      `answered register ${h} survived`,
    );
  for (const b of burnt) {
    const r: { status: number; body: { error: { code: string } } } = await call(
      reg.url,
      'POST',
      '/api/ledger/response',
      b,
    );
    assert.equal(r.status, 409, `answered burn ${b.uuid} is still spent: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'REPLAY');
  }
});
