import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { call, startTestRegistry } from '../helpers/registry.js';
import { identityFor, requester, sealTo } from '../helpers/directory-client.js';
import {
  VECTOR,
  VECTOR_ENVELOPE_CONFIG as envelope,
  VECTOR_SERVER_KEY as serverKey,
  vectorEnvelope,
} from './vector.js';

describe('node directory over HTTP', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  let url: string;
  before(async () => {
    reg = await startTestRegistry({
      envelope,
      rate_limit: { enabled: false },
      sync: { token_sha256_hex: [createHash('sha256').update('peer').digest('hex')] },
    });
    url = reg.url;
  });
  after(() => reg.close());

  test('the known-answer envelope registers, and resolve re-seals it to the requester', async () => {
    const env = vectorEnvelope();
    assert.ok(env.ciphertext.startsWith(VECTOR.ciphertextPrefix), 'the published bytes, not just any envelope');
    const r = await call(url, 'POST', '/register', { handle: VECTOR.handleHex.toUpperCase(), envelope: env });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { ok: true });

    const who = requester(VECTOR.pepperHex);
    const res = await call(url, 'POST', '/resolve', {
      handle: VECTOR.handleHex.toUpperCase(),
      requester_ephemeral_pubkey_hex: who.publicHex,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.handle, VECTOR.handleHex.toUpperCase(), 'handle echoed as sent');
    assert.equal(res.body.envelope.kid, VECTOR.kidHex);
    assert.deepEqual(who.open(VECTOR.handleHex, res.body.envelope), JSON.parse(VECTOR.plaintext));
    // A fresh nonce on every resolve.
    const again = await call(url, 'POST', '/resolve', {
      handle: VECTOR.handleHex,
      requester_ephemeral_pubkey_hex: who.publicHex,
    });
    assert.notEqual(again.body.envelope.nonce, res.body.envelope.nonce);
  });

  test('register: conflict, bad handle, unknown kid, failed decryption, bad identity, user_id mismatch', async () => {
    const bob = identityFor('bob');
    const ok = await call(url, 'POST', '/register', {
      handle: bob.user_id,
      envelope: sealTo(serverKey, VECTOR.pepperHex, bob.user_id, bob),
    });
    assert.equal(ok.status, 200);
    const dup = await call(url, 'POST', '/register', {
      handle: bob.user_id,
      envelope: sealTo(serverKey, VECTOR.pepperHex, bob.user_id, bob),
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'CONFLICT');

    const carol = identityFor('carol');
    const bad = async (body: unknown, code = 'INVALID_INPUT', status = 400) => {
      const r = await call(url, 'POST', '/register', body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.code, code);
      assert.equal(typeof r.body.error.message, 'string');
      return r.body.error.message as string;
    };
    const env = sealTo(serverKey, VECTOR.pepperHex, carol.user_id, carol);
    await bad({ handle: 'zz', envelope: env });
    assert.match(await bad({ handle: carol.user_id, envelope: { ...env, kid: 'ffffffffffffffff' } }), /envelope key/);
    assert.match(await bad({ handle: carol.user_id, envelope: { ...env, kid: 'nothex' } }), /envelope key/);
    const flipped = Buffer.from(env.ciphertext, 'base64');
    flipped[3]! ^= 1;
    assert.match(
      await bad({ handle: carol.user_id, envelope: { ...env, ciphertext: flipped.toString('base64') } }),
      /decryption/,
    );
    // Well sealed to the registry, but what is sealed is not carol's well-formed identity.
    for (const [identity, why] of [
      [{ ...carol, extra: 1 }, /identity/],
      [{ ...carol, signature: [] }, /identity/],
      [{ ...carol, created_at_ms: 0 }, /identity/],
      [{ ...carol, username_hint: 'a\u0007b' }, /control/],
      [{ ...carol, username_hint: 'é'.repeat(33) }, /64 bytes/],
      ['not json', /identity/],
      [identityFor('dave'), /does not match/],
    ] as const) {
      const envelope = sealTo(serverKey, VECTOR.pepperHex, carol.user_id, identity);
      assert.match(await bad({ handle: carol.user_id, envelope }), why, JSON.stringify(identity));
    }
    await bad({ handle: carol.user_id, envelope: env, extra: true });
    await bad({ handle: carol.user_id, envelope: { ...env, more: 1 } });
    // None of the failures stored anything: carol is still free.
    assert.deepEqual((await call(url, 'GET', `/check_user/${carol.user_id}`)).body, { exists: false });
  });

  test('resolve of an unknown handle answers 200 with a null envelope (no enumeration by status)', async () => {
    const who = requester(VECTOR.pepperHex);
    const r = await call(url, 'POST', '/resolve', {
      handle: identityFor('nobody').user_id,
      requester_ephemeral_pubkey_hex: who.publicHex,
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.envelope, null);
    const bad = await call(url, 'POST', '/resolve', {
      handle: identityFor('nobody').user_id,
      requester_ephemeral_pubkey_hex: 'abc',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_INPUT');
  });

  test('check_user answers exists true/false and refuses a bad handle', async () => {
    const erin = identityFor('erin');
    assert.deepEqual((await call(url, 'GET', `/check_user/${erin.user_id}`)).body, { exists: false });
    await call(url, 'POST', '/register', {
      handle: erin.user_id,
      envelope: sealTo(serverKey, VECTOR.pepperHex, erin.user_id, erin),
    });
    assert.deepEqual((await call(url, 'GET', `/check_user/${erin.user_id.toUpperCase()}`)).body, { exists: true });
    const r = await call(url, 'GET', '/check_user/xyz');
    assert.equal(r.status, 400);
  });

  test('announce validates addr and ts_ms', async () => {
    const id = identityFor('frank').user_id;
    assert.deepEqual((await call(url, 'POST', '/announce', { user_id: id, addr: '203.0.113.5:4000', ts_ms: 5 })).body, {
      ok: true,
    });
    for (const body of [
      { user_id: id, addr: '   ', ts_ms: 5 },
      { user_id: id, addr: 'x'.repeat(257), ts_ms: 5 },
      { user_id: id, addr: 'a', ts_ms: 0 },
      { user_id: 'nope', addr: 'a', ts_ms: 1 },
      { user_id: id, addr: 'a', ts_ms: '5' },
      { user_id: id, addr: 'a', ts_ms: 5, extra: 1 },
    ]) {
      const r = await call(url, 'POST', '/announce', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
    }
  });

  test('sync merges new valid identities only and never overwrites', async () => {
    const gina = identityFor('gina');
    const bob = identityFor('bob', { username_hint: 'impostor' });
    const r = await call(
      url,
      'POST',
      '/sync',
      {
        identities: [
          gina,
          gina,
          bob,
          { ...identityFor('henry'), signature: [] },
          identityFor('ivan', { username_hint: null }),
        ],
      },
      { authorization: 'Bearer peer' },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { merged: 2 }); // gina + ivan; bob exists; henry invalid
    const who = requester(VECTOR.pepperHex);
    const resolved = await call(url, 'POST', '/resolve', {
      handle: bob.user_id,
      requester_ephemeral_pubkey_hex: who.publicHex,
    });
    assert.equal(
      (who.open(bob.user_id, resolved.body.envelope) as { username_hint: string }).username_hint,
      'bob',
      'sync did not overwrite',
    );
    assert.deepEqual((await call(url, 'GET', `/check_user/${identityFor('henry').user_id}`)).body, { exists: false });
  });

  test('nodes: trim, exact dedupe, scheme and length checks all-or-nothing', async () => {
    assert.deepEqual((await call(url, 'GET', '/nodes')).body, { nodes: [] });
    const r = await call(url, 'POST', '/nodes', {
      nodes: [
        { base_url: ' https://a.example ' },
        { base_url: 'https://a.example' },
        { base_url: 'http://b.example:8443' },
      ],
    });
    assert.deepEqual(r.body, { merged: 2 });
    const refused = await call(url, 'POST', '/nodes', {
      nodes: [{ base_url: 'https://c.example' }, { base_url: 'ftp://d.example' }],
    });
    assert.equal(refused.status, 400);
    assert.equal(
      (await call(url, 'POST', '/nodes', { nodes: [{ base_url: `https://${'x'.repeat(250)}.example` }] })).status,
      400,
    );
    assert.deepEqual((await call(url, 'GET', '/nodes')).body, {
      nodes: [{ base_url: 'https://a.example' }, { base_url: 'http://b.example:8443' }],
    });
  });

  test('envelope_pubkey(s) publish the configured key', async () => {
    assert.deepEqual((await call(url, 'GET', '/envelope_pubkey')).body, {
      kid_hex: VECTOR.kidHex,
      x25519_public_key_hex: VECTOR.serverPublicHex,
      active: true,
    });
    assert.deepEqual((await call(url, 'GET', '/envelope_pubkeys')).body, [
      { kid_hex: VECTOR.kidHex, x25519_public_key_hex: VECTOR.serverPublicHex, active: true },
    ]);
  });

  test('pow is off: /pow/challenge is a JSON 404', async () => {
    const r = await call(url, 'GET', '/pow/challenge');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
  });

  test('every error is the JSON envelope: 404, 405, oversize body, wrong content type, bad JSON', async () => {
    const nf = await call(url, 'GET', '/no/such/route');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.error.code, 'NOT_FOUND');
    const na = await call(url, 'DELETE', '/register');
    assert.equal(na.status, 405);
    assert.equal(na.headers.get('allow'), 'POST');
    const big = await call(url, 'POST', '/sync', `{"identities":[${'1,'.repeat(1_100_000)}1]}`);
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    const res = await fetch(`${url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(res.status, 415);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const broken = await call(url, 'POST', '/register', '{"handle":');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'INVALID_INPUT');
    const none = await fetch(`${url}/register`, { method: 'POST' });
    assert.equal(none.status, 400);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'INVALID_INPUT');
  });
});

describe('envelope key rotation', () => {
  test('any unexpired kid registers; resolve seals with the first active key; expired kids are refused', async (t) => {
    const now = Date.now();
    const keys = [
      {
        kid_hex: '1111111111111111',
        x25519_private_key_hex: '21'.repeat(32),
        active: false,
        not_after_epoch_ms: now - 1000,
      },
      { kid_hex: '2222222222222222', x25519_private_key_hex: '22'.repeat(32), active: true },
      { kid_hex: '3333333333333333', x25519_private_key_hex: '23'.repeat(32), active: false },
    ];
    const reg = await startTestRegistry(
      {
        envelope: { pepper_hex: VECTOR.pepperHex, keys },
        rate_limit: { enabled: false },
      },
      { t },
    );
    const pubs = (await call(reg.url, 'GET', '/envelope_pubkeys')).body as Array<{
      kid_hex: string;
      x25519_public_key_hex: string;
      active: boolean;
      not_after_epoch_ms?: number;
    }>;
    assert.deepEqual(
      pubs.map((p) => p.kid_hex),
      keys.map((k) => k.kid_hex),
    );
    assert.equal(pubs[0]!.not_after_epoch_ms, keys[0]!.not_after_epoch_ms);
    assert.equal((await call(reg.url, 'GET', '/envelope_pubkey')).body.kid_hex, '2222222222222222');

    const [expired, active, old] = pubs;
    const b = identityFor('rot-b');
    /** Registers `person` with its identity sealed to `key`. */
    const register = (person: ReturnType<typeof identityFor>, key: (typeof pubs)[number] | undefined) =>
      call(reg.url, 'POST', '/register', {
        handle: person.user_id,
        envelope: sealTo(key!, VECTOR.pepperHex, person.user_id, person),
      });
    assert.equal((await register(identityFor('rot-a'), active)).status, 200);
    assert.equal((await register(b, old)).status, 200, 'inactive but unexpired key still opens');
    const refused = await register(identityFor('rot-c'), expired);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /envelope key/);

    const who = requester(VECTOR.pepperHex);
    const r = await call(reg.url, 'POST', '/resolve', {
      handle: b.user_id,
      requester_ephemeral_pubkey_hex: who.publicHex,
    });
    assert.equal(r.body.envelope.kid, '2222222222222222');
    assert.equal(r.body.envelope.sender_pubkey, active!.x25519_public_key_hex);
    assert.deepEqual(who.open(b.user_id, r.body.envelope), b);
  });
});
