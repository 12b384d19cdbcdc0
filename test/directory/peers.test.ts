// Issue 12 §3: peer endpoints do not let strangers write the directory. Each test tries the attack.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { clientOf } from '../../src/directory/service.js';
import { call, spawnCli, startTestRegistry, tempDir } from '../helpers/registry.js';
import { identityFor, requester, sealTo } from '../helpers/directory-client.js';
import { makePki } from '../helpers/pki.js';
import { VECTOR, VECTOR_ENVELOPE_CONFIG as envelope, VECTOR_SERVER_KEY as serverKey } from './vector.js';

const TOKEN = 'peer-registry-token';
const TOKEN_SHA256 = createHash('sha256').update(TOKEN).digest('hex');

describe('identity squatting through /sync', () => {
  test('by default an anonymous sync is refused (401) and the victim then registers and resolves their own keys', async (t) => {
    const reg = await startTestRegistry({ envelope, rate_limit: { enabled: false } }, { t }); // allow_sync defaults to true
    const victim = identityFor('victim');
    const squat = {
      ...victim,
      username_hint: 'attacker',
      signing_public_key: [66, 66],
      encryption_public_key: [66, 66],
    };
    const attack = await call(reg.url, 'POST', '/sync', { identities: [squat] });
    assert.equal(attack.status, 401);
    assert.equal(attack.body.error.code, 'UNAUTHORIZED');
    assert.match(attack.body.error.message, /sync token/);
    assert.equal(
      (await call(reg.url, 'POST', '/sync', { identities: [squat] }, { authorization: 'Bearer guessed' })).status,
      401,
    );

    const own = await call(reg.url, 'POST', '/register', {
      handle: victim.user_id,
      envelope: sealTo(serverKey, VECTOR.pepperHex, victim.user_id, victim),
    });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const who = requester(VECTOR.pepperHex);
    const r = await call(reg.url, 'POST', '/resolve', {
      handle: victim.user_id,
      requester_ephemeral_pubkey_hex: who.publicHex,
    });
    assert.deepEqual(who.open(victim.user_id, r.body.envelope), victim, 'the victim resolves to their own keys');
  });

  test('a peer with a sync token syncs, with allow_sync = true or false; allow_sync = false refuses everyone else', async (t) => {
    for (const allow_sync of [true, false]) {
      const reg = await startTestRegistry(
        {
          envelope,
          allow_sync,
          sync: { token_sha256_hex: [TOKEN_SHA256] },
          rate_limit: { enabled: false },
        },
        { t },
      );
      const peer = identityFor(`token-peer-${allow_sync}`);
      assert.equal((await call(reg.url, 'POST', '/sync', { identities: [peer] })).status, 401);
      assert.deepEqual(
        (await call(reg.url, 'POST', '/sync', { identities: [peer] }, { authorization: `Bearer ${TOKEN}` })).body,
        { merged: 1 },
      );
      assert.deepEqual((await call(reg.url, 'GET', `/check_user/${peer.user_id}`)).body, { exists: true });
    }
  });

  test('under mTLS a client certificate is a peer; with allow_sync = false it is not', async (t) => {
    const dir = tempDir(t);
    makePki(dir.path);
    const file = (n: string) => join(dir.path, n);
    const tls = {
      cert_pem_path: file('server.pem'),
      key_pem_path: file('server.key'),
      client_ca_pem_path: file('ca.pem'),
    };
    const client = {
      ca: readFileSync(file('ca.pem')),
      cert: readFileSync(file('client.pem')),
      key: readFileSync(file('client.key')),
    };
    for (const allow_sync of [true, false]) {
      const reg = await startTestRegistry(
        { envelope, mode: 'tls', tls, allow_sync, rate_limit: { enabled: false } },
        { t },
      );
      const r = await postTls(`${reg.url}/sync`, { identities: [identityFor(`mtls-peer-${allow_sync}`)] }, client);
      if (allow_sync) assert.deepEqual(r, { status: 200, body: { merged: 1 } });
      else assert.equal(r.status, 401, JSON.stringify(r.body));
    }
  });

  test('sync.allow_anonymous = true restores the Rust behaviour and warns at every start', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir.path, 'registry.toml');
    writeFileSync(
      cfg,
      `address = "127.0.0.1:0"\nstate_dir = "${dir.path}"\n[storage]\nkind = "memory"\n[rate_limit]\nenabled = false\n[sync]\nallow_anonymous = true\n`,
    );
    for (const start of [1, 2]) {
      const r = await spawnCli(['serve', '--config', cfg]);
      const id = identityFor(`anon-${start}`);
      assert.deepEqual((await call(r.url, 'POST', '/sync', { identities: [id] })).body, { merged: 1 });
      r.child.kill('SIGTERM');
      assert.equal(await r.exited, 0);
      assert.match(r.stderr(), /"level":40[^\n]*allow_anonymous/, `warning logged at start ${start}`);
    }
  });
});

describe('node-list poisoning', () => {
  // The default store (SQLite, or PostgreSQL under test/scale) and the memory store.
  for (const storage of [undefined, { kind: 'memory' as const }]) {
    test(`one client gets only its share of max_nodes; an honest node is merged afterwards; peers are exempt (${storage?.kind ?? 'default'} store)`, async (t) => {
      // 127.0.0.1 is a trusted proxy, so X-Forwarded-For names the client.
      const reg = await startTestRegistry(
        {
          ...(storage && { storage }),
          trusted_proxies: ['127.0.0.1'],
          max_nodes: 8,
          nodes: { max_per_client: 2 },
          sync: { token_sha256_hex: [TOKEN_SHA256] },
          rate_limit: { enabled: false },
        },
        { t },
      );
      const add = (from: string, urls: string[], headers: Record<string, string> = {}) =>
        call(
          reg.url,
          'POST',
          '/nodes',
          { nodes: urls.map((base_url) => ({ base_url })) },
          { 'x-forwarded-for': from, ...headers },
        );
      const flood = Array.from({ length: 8 }, (_, i) => `https://evil-${i}.example`);
      assert.deepEqual((await add('198.51.100.7', flood)).body, { merged: 2 });
      assert.deepEqual((await add('198.51.100.7', flood.slice(2))).body, { merged: 0 }, 'the share is spent');
      // One IPv6 host holds a whole /64: rotating addresses inside it does not buy a new share.
      assert.deepEqual((await add('2001:db8:1:2::a', flood.slice(2))).body, { merged: 2 });
      assert.deepEqual((await add('2001:db8:1:2:ffff::b', flood.slice(4))).body, { merged: 0 });

      assert.deepEqual(
        (await add('203.0.113.9', ['https://honest.example'])).body,
        { merged: 1 },
        'an honest node still gets in',
      );
      assert.deepEqual(
        (
          await add('203.0.113.10', ['https://peer-1.example', 'https://peer-2.example', 'https://peer-3.example'], {
            authorization: `Bearer ${TOKEN}`,
          })
        ).body,
        { merged: 3 },
      );
      const listed = ((await call(reg.url, 'GET', '/nodes')).body.nodes as Array<{ base_url: string }>).map(
        (n) => n.base_url,
      );
      assert.equal(listed.length, 8);
      assert.ok(listed.includes('https://honest.example'));
    });
  }

  test('a client is an IPv4 address or an IPv6 /64', () => {
    assert.equal(clientOf('198.51.100.7'), '198.51.100.7');
    assert.equal(clientOf('::ffff:198.51.100.7'), '198.51.100.7');
    assert.equal(clientOf('2001:db8:1:2::a'), '2001:db8:1:2::/64');
    assert.equal(clientOf('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientOf('1:2::4:5:6:7:8'), '1:2:0:4::/64');
    assert.equal(clientOf('::1'), '0:0:0:0::/64');
  });
});

function postTls(
  url: string,
  body: unknown,
  opts: { ca: Buffer; cert: Buffer; key: Buffer },
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...opts, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
