// Issue 14: each row of the comparison with the Rust enigma-node-registry 0.0.2 sends the request and asserts
// the answer the Rust registry gives (or our documented difference, see README "Differences from the Rust registry").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PublicIdentity } from '../../src/client/wire-identity.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { identityFor, requester, sealTo } from '../helpers/directory-client.js';
import { powOn, VECTOR, VECTOR_ENVELOPE_CONFIG as envelope, VECTOR_SERVER_KEY as serverKey } from './vector.js';

type Registry = Awaited<ReturnType<typeof startTestRegistry>>;
const register = (url: string, identity: object & { user_id: string }) =>
  call(url, 'POST', '/register', {
    handle: identity.user_id,
    envelope: sealTo(serverKey, VECTOR.pepperHex, identity.user_id, identity),
  });
const exists = async (url: string, userId: string) =>
  (await call(url, 'GET', `/check_user/${userId}`)).body.exists as boolean;
async function resolved(url: string, userId: string): Promise<PublicIdentity> {
  const who = requester(VECTOR.pepperHex);
  const r = await call(url, 'POST', '/resolve', { handle: userId, requester_ephemeral_pubkey_hex: who.publicHex });
  assert.equal(r.status, 200);
  return who.open(userId, r.body.envelope) as PublicIdentity;
}
function assertInvalid(r: { status: number; body: any }, pattern?: RegExp): void {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'INVALID_INPUT');
  if (pattern) assert.match(r.body.error.message, pattern);
}

describe('Rust parity: identities, sync, announce, nodes (issue 14)', () => {
  let reg: Registry;
  before(async () => {
    // allow_anonymous: the Rust registry's sync, so these rows compare like with like.
    reg = await startTestRegistry({
      envelope,
      rate_limit: { enabled: false },
      sync: { allow_anonymous: true },
      max_nodes: 1,
    });
  });
  after(() => reg.close());

  test('row 1: a sync batch with one malformed item is a 400 and merges nothing; well-formed invalid items are skipped', async () => {
    const good = identityFor('parity-sync-good');
    const malformed: unknown[] = [
      { ...identityFor('parity-x'), x: 1 },
      { ...identityFor('parity-zz'), user_id: 'zz' },
      { ...identityFor('parity-str'), created_at_ms: '1' },
      null,
      { ...identityFor('parity-byte'), signature: [300] },
    ];
    for (const bad of malformed) {
      const r = await call(reg.url, 'POST', '/sync', { identities: [good, bad] });
      assertInvalid(r);
      assert.match(r.body.error.message, /identities/, `the message names the field (${JSON.stringify(bad)})`);
      assert.equal(await exists(reg.url, good.user_id), false, 'nothing of the batch is stored');
    }
    const skipped = [
      { ...identityFor('parity-empty-sig'), signature: [] },
      { ...identityFor('parity-zero'), created_at_ms: 0 },
      identityFor('parity-blank', { username_hint: ' ' }),
    ];
    const r = await call(reg.url, 'POST', '/sync', { identities: [good, ...skipped] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { merged: 1 });
    assert.equal(await exists(reg.url, good.user_id), true);
    for (const s of skipped) assert.equal(await exists(reg.url, s.user_id), false);
  });

  test('row 2: an identity without username_hint is accepted and served with null', async () => {
    const { username_hint: _, ...registered } = identityFor('parity-nohint');
    assert.equal((await register(reg.url, registered)).status, 200);
    assert.equal((await resolved(reg.url, registered.user_id)).username_hint, null);
    const { username_hint: __, ...synced } = identityFor('parity-nohint-sync');
    assert.deepEqual((await call(reg.url, 'POST', '/sync', { identities: [synced] })).body, { merged: 1 });
    assert.equal((await resolved(reg.url, synced.user_id)).username_hint, null);
  });

  test('row 3: a blank username_hint is refused', async () => {
    for (const hint of ['', '   ']) {
      const id = identityFor(`parity-blank-${hint.length}`, { username_hint: hint });
      assertInvalid(await register(reg.url, id), /identity: username_hint is blank/);
      assert.equal(await exists(reg.url, id.user_id), false);
    }
  });

  test('row 4: username_hint is trimmed before the 64-byte check (and stored as sent)', async () => {
    const hint = ` ${'h'.repeat(64)}`;
    const id = identityFor('parity-trim', { username_hint: hint });
    assert.equal((await register(reg.url, id)).status, 200);
    assert.equal((await resolved(reg.url, id.user_id)).username_hint, hint);
    assertInvalid(await register(reg.url, identityFor('parity-long', { username_hint: 'h'.repeat(65) })), /64 bytes/);
  });

  test('row 5 (schema): integers only, 0 ..= 2^53−1; larger values are refused, never rounded', async () => {
    const id = identityFor('parity-ts').user_id;
    assert.equal(
      (await call(reg.url, 'POST', '/announce', { user_id: id, addr: 'a', ts_ms: Number.MAX_SAFE_INTEGER })).status,
      200,
    );
    for (const ts of ['-1', '1.5', '9007199254740992', '9007199254740993', '18446744073709551616', '1e999']) {
      assertInvalid(await call(reg.url, 'POST', '/announce', `{"user_id":"${id}","addr":"a","ts_ms":${ts}}`));
    }
    // Inside the sealed identity too: 2^53 would be read back as another number, so it is refused.
    assertInvalid(await register(reg.url, identityFor('parity-2p53', { created_at_ms: 2 ** 53 })), /created_at_ms/);
    const max = identityFor('parity-max', { created_at_ms: Number.MAX_SAFE_INTEGER });
    assert.equal((await register(reg.url, max)).status, 200);
    assert.equal((await resolved(reg.url, max.user_id)).created_at_ms, Number.MAX_SAFE_INTEGER);
  });

  test('row 8: an unpadded base64 ciphertext is accepted', async () => {
    // Pick an identity whose sealed size is not a multiple of 3, so its base64 has padding to drop.
    let n = 0;
    let id = identityFor('parity-pad-0');
    let env = sealTo(serverKey, VECTOR.pepperHex, id.user_id, id);
    while (!env.ciphertext.endsWith('=')) {
      id = identityFor(`parity-pad-${++n}`);
      env = sealTo(serverKey, VECTOR.pepperHex, id.user_id, id);
    }
    const r = await call(reg.url, 'POST', '/register', {
      handle: id.user_id,
      envelope: { ...env, ciphertext: env.ciphertext.replace(/=+$/, '') },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(await resolved(reg.url, id.user_id), id);
    // Still strict about what is not base64.
    const other = identityFor('parity-pad-bad');
    const bad = sealTo(serverKey, VECTOR.pepperHex, other.user_id, other);
    assertInvalid(
      await call(reg.url, 'POST', '/register', {
        handle: other.user_id,
        envelope: { ...bad, ciphertext: `${bad.ciphertext.slice(0, -4)}*AAA` },
      }),
      /ciphertext/,
    );
  });

  test('row 9: node urls are checked as Rust does (http(s):// prefix, 256 bytes), all or nothing, before the cap', async () => {
    assert.deepEqual((await call(reg.url, 'POST', '/nodes', { nodes: [{ base_url: 'https://a.example' }] })).body, {
      merged: 1,
    });
    // The list (max_nodes = 1) is full: prefix-valid urls merge nothing, as in Rust.
    for (const base_url of ['http://', 'http://e b.test'])
      assert.deepEqual((await call(reg.url, 'POST', '/nodes', { nodes: [{ base_url }] })).body, { merged: 0 });
    for (const base_url of ['ftp://d.example', `https://${'x'.repeat(250)}.example`, 'https://a\u0000.example']) {
      assertInvalid(
        await call(reg.url, 'POST', '/nodes', { nodes: [{ base_url: 'https://ok.example' }, { base_url }] }),
        /nodes\[1\]\.base_url/,
      );
    }
    assert.deepEqual((await call(reg.url, 'GET', '/nodes')).body, { nodes: [{ base_url: 'https://a.example' }] });
  });

  test('row 10: addr is trimmed before the 256-byte check; control characters are refused (issue 12)', async () => {
    const id = identityFor('parity-addr').user_id;
    assert.equal(
      (await call(reg.url, 'POST', '/announce', { user_id: id, addr: ` ${'a'.repeat(256)}`, ts_ms: 1 })).status,
      200,
    );
    assertInvalid(
      await call(reg.url, 'POST', '/announce', { user_id: id, addr: 'a'.repeat(257), ts_ms: 1 }),
      /256 bytes/,
    );
    for (const addr of ['\u0000', 'host:1\r\nX: y', 'a\u007f'])
      assertInvalid(await call(reg.url, 'POST', '/announce', { user_id: id, addr, ts_ms: 1 }), /control/);
  });
});

describe('Rust parity: check order (issue 14 row 11)', () => {
  test('field problems come after the rate limit: invalid requests spend tokens', async (t) => {
    const reg = await startTestRegistry(
      {
        envelope,
        rate_limit: { per_ip_rps: 0.001, burst: 4, ban_seconds: 0, endpoints: { register_rps: 0.001 } },
      },
      { t },
    );
    const long = 'a'.repeat(300);
    const env = sealTo(serverKey, VECTOR.pepperHex, VECTOR.handleHex, identityFor('order'));
    for (let i = 0; i < 4; i++)
      assertInvalid(await call(reg.url, 'POST', '/register', { handle: long, envelope: env }), /handle/);
    const valid = identityFor('order-valid');
    const fifth = await register(reg.url, valid);
    assert.equal(fifth.status, 429, JSON.stringify(fifth.body));
    assert.equal(fifth.body.error.code, 'RATE_LIMITED');
    // A body of the wrong shape is refused while parsing, as in Rust, before the limiter is asked: 400 even now.
    assertInvalid(await call(reg.url, 'POST', '/register', { handle: 1, envelope: env }), /handle/);
  });

  test('with PoW on, a request without a solution is POW_REQUIRED before its fields are looked at', async (t) => {
    const reg = await startTestRegistry(powOn(8), { t });
    const r = await call(reg.url, 'POST', '/resolve', {
      handle: 'a'.repeat(300),
      requester_ephemeral_pubkey_hex: 'nothex',
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'POW_REQUIRED');
    const c = await call(reg.url, 'GET', '/check_user/zz');
    assert.equal(c.body.error.code, 'POW_REQUIRED');
  });
});

describe('Rust parity: differences we keep (README)', () => {
  test('HEAD on a GET route answers 200; a 7-byte kid is an `envelope key` error', async (t) => {
    const reg = await startTestRegistry({ envelope, rate_limit: { enabled: false } }, { t });
    const head = await fetch(`${reg.url}/envelope_pubkey`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const id = identityFor('keep-kid');
    const kid7 = await call(reg.url, 'POST', '/register', {
      handle: id.user_id,
      envelope: { ...sealTo(serverKey, VECTOR.pepperHex, id.user_id, id), kid: '01020304050607' },
    });
    assertInvalid(kid7, /envelope key/);
  });

  test('/announce costs one global token (the Rust registry charges two)', async (t) => {
    const reg = await startTestRegistry(
      { envelope, rate_limit: { per_ip_rps: 0.001, burst: 2, ban_seconds: 0 } },
      { t },
    );
    const announce = () =>
      call(reg.url, 'POST', '/announce', { user_id: identityFor('keep-token').user_id, addr: 'a', ts_ms: 1 });
    assert.equal((await announce()).status, 200);
    assert.equal((await announce()).status, 200, 'a second announce fits a burst of 2');
    assert.equal((await announce()).status, 429);
  });
});
