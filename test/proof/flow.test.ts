import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Challenge } from '../../src/client/index.js';
import { solveSixzone, type SixzoneSecret } from '../../src/client/sixzone.js';
import { defer } from '../helpers/cleanup.js';
import { ManualClock } from '../helpers/clock.js';
import { call, spawnCli, tempDir, type SpawnedRegistry } from '../helpers/registry.js';
import {
  adminHeaders,
  answerBody,
  roomyProofLimits,
  sha256Hex,
  startPublishingRegistry,
  wrongBearings,
  type Minted,
  type TestRegistry,
} from './mint.js';

const TOKEN = 'admin-token-for-tests';
const SECRET: SixzoneSecret = {
  symbols: 'K7Q2',
  mapping: { red: 'S', orange: 'SW', yellow: 'NW', green: 'N', blue: 'NE', violet: 'SE' },
};

const answer = answerBody;
const wrong = (ch: Challenge) => wrongBearings(ch.challenge, SECRET);

describe('proof flow over HTTP with the real sixzone circuit', () => {
  let reg: TestRegistry;
  let base: string;
  let ledger: SpawnedRegistry;
  const ledgerDir = tempDir();
  let minted: Record<string, Minted>;

  const challenge = async (handle: string, headers: Record<string, string> = {}) => {
    const r = await call<Challenge>(base, 'POST', `/api/circuits/${handle}/challenge`, {}, headers);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const validate = (handle: string, body: unknown) => call(base, 'POST', `/api/circuits/${handle}/validate`, body);

  before(async () => {
    // A standalone ledger process, used by URL through x-eni6ma-ledger-url.
    const cfg = join(ledgerDir.path, 'ledger.toml');
    writeFileSync(
      cfg,
      `state_dir = "${ledgerDir.path}"\n[storage]\nkind = "memory"\n[ledger]\naddress = "127.0.0.1:0"\n[log]\nlevel = "silent"\n`,
    );
    ledger = await spawnCli(['ledger', '--config', cfg]);
    ({ reg, minted } = await startPublishingRegistry({
      token: TOKEN,
      config: {
        ledger: { allowed_urls: [ledger.url] },
        proof: roomyProofLimits(3),
        http: { max_connections_per_ip: 128 }, // the race test opens 100 connections from one address
      },
      circuits: { alice: SECRET, carol: SECRET, dave: SECRET, erin: SECRET },
    }));
    base = reg.url;
  });
  after(async () => {
    await reg.close();
    ledger.child.kill('SIGTERM');
    await ledger.exited;
    ledgerDir.remove();
  });

  test('publish → discover → download (hash checked) → challenge → solve → validate → receipt verified against the JWKS', async () => {
    const list = await call(base, 'GET', '/api/circuits');
    assert.ok(list.body.circuits.some((c: { handle: string }) => c.handle === 'alice'));
    const detail = await call(base, 'GET', '/api/circuits/alice');
    assert.equal(detail.body.current.sha256, minted.alice!.manifest.sha256);
    const bin = await fetch(`${base}/api/binaries/handle/alice`);
    const bytes = new Uint8Array(await bin.arrayBuffer());
    assert.equal(sha256Hex(bytes), bin.headers.get('x-eni6ma-sha256'));
    assert.equal(sha256Hex(bytes), minted.alice!.manifest.sha256);

    const ch = await challenge('alice');
    assert.deepEqual(ch.circuit, {
      handle: 'alice',
      build_id: minted.alice!.manifest.build_id,
      sha256: minted.alice!.manifest.sha256,
    });
    assert.equal(ch.challenge.rounds.length, 12);
    assert.ok(Date.parse(ch.expires_at) > Date.now());
    const r = await validate('alice', answer(ch, solveSixzone(ch.challenge, SECRET)));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.validated, true);

    const jwks = createLocalJWKSet((await call(base, 'GET', '/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await jwtVerify(r.body.receipt, jwks, {
      issuer: base,
      subject: 'alice',
      algorithms: ['EdDSA'],
    });
    assert.equal(payload.circuit_sha256, minted.alice!.manifest.sha256);
    assert.equal(payload.nonce, ch.nonce_uuid);
    assert.equal(payload.build_id, minted.alice!.manifest.build_id);
    assert.ok(typeof payload.exp === 'number' && typeof payload.iat === 'number' && payload.exp > payload.iat);
    assert.ok(protectedHeader.kid);
    // A receipt with a flipped signature byte does not verify.
    // (Flip a decoded byte: editing the last base64url character may only touch padding bits.)
    const [head, body, sig] = (r.body.receipt as string).split('.');
    const sigBytes = Buffer.from(sig!, 'base64url');
    sigBytes[10]! ^= 0x01;
    const forged = `${head}.${body}.${sigBytes.toString('base64url')}`;
    assert.notEqual(forged, r.body.receipt);
    await assert.rejects(jwtVerify(forged, jwks));

    // Replay of the same, valid answer.
    const again = await validate('alice', answer(ch, solveSixzone(ch.challenge, SECRET)));
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'REPLAY');

    const events = (await call(base, 'GET', '/api/audit?limit=1000', undefined, adminHeaders(TOKEN))).body
      .events as Array<Record<string, string>>;
    const mine = events.filter((e) => e.nonce === ch.nonce_uuid);
    assert.deepEqual(
      mine.map((e) => `${e.step}:${e.outcome}`),
      ['challenge:ok', 'validate:ok', 'validate:replay'],
    );
    assert.ok(
      mine.every(
        (e) =>
          e.sha256 === ch.circuit.sha256 &&
          e.handle === 'alice' &&
          /^[0-9a-f]{64}$/.test(e.actor!) &&
          e.actor !== '127.0.0.1',
      ),
    );
  });

  test('tampered tau and proof_hash are 400 before any burn: the nonce still validates afterwards', async () => {
    const ch = await challenge('alice');
    const right = solveSixzone(ch.challenge, SECRET);
    // A different, genuine tau (another challenge) with this nonce.
    const other = await challenge('alice');
    const swapped = await validate('alice', answer({ nonce_uuid: ch.nonce_uuid, tau: other.tau }, right));
    assert.equal(swapped.status, 400);
    assert.equal(swapped.body.error.code, 'TAU_MISMATCH');
    // One character of the tau changed (the MAC then fails).
    const i = ch.tau.length - 5;
    const flipped = ch.tau.slice(0, i) + (ch.tau[i] === 'A' ? 'B' : 'A') + ch.tau.slice(i + 1);
    const t = await validate('alice', answer({ nonce_uuid: ch.nonce_uuid, tau: flipped }, right));
    assert.equal(t.status, 400);
    assert.equal(t.body.error.code, 'TAU_MISMATCH');
    // A tau for another handle.
    const dave = await challenge('dave');
    assert.equal((await validate('alice', answer(dave, right))).body.error.code, 'TAU_MISMATCH');
    // proof_hash over other bearings.
    const body = answer(ch, right);
    body.payload.proof_hash = sha256Hex(`${ch.nonce_uuid}|${ch.tau}|${wrong(ch).join(',')}`);
    const h = await validate('alice', body);
    assert.equal(h.status, 400);
    assert.equal(h.body.error.code, 'INVALID_INPUT');
    assert.match(h.body.error.message, /proof_hash/);
    // Malformed payload.
    assert.equal(
      (await validate('alice', { kind: 'bearings', nonce_uuid: ch.nonce_uuid, payload: { tau: ch.tau } })).status,
      400,
    );

    const ok = await validate('alice', answer(ch, right));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('wrong bearings are 403 PROOF_REJECTED; after lockout_after of them this client gets 429 with Retry-After at that handle', async () => {
    for (let i = 1; i <= 3; i++) {
      const ch = await challenge('carol');
      const r = await validate('carol', answer(ch, wrong(ch)));
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'PROOF_REJECTED');
      assert.equal(r.body.error.details.locked_out, i === 3);
    }
    const locked = await call(base, 'POST', '/api/circuits/carol/challenge', {});
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'RATE_LIMITED');
    assert.equal(locked.body.error.details.reason, 'locked_out');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    // Other handles are not affected.
    await challenge('alice');
  });

  test('a wrong answer burns the nonce: the right one afterwards is a replay', async () => {
    const ch = await challenge('dave');
    assert.equal((await validate('dave', answer(ch, wrong(ch)))).status, 403);
    const r = await validate('dave', answer(ch, solveSixzone(ch.challenge, SECRET)));
    assert.equal(r.status, 409);
  });

  test('a disallowed ledger URL is 400 and no nonce is reserved there', async () => {
    for (const url of [
      'http://127.0.0.1:1/',
      'http://169.254.169.254/latest',
      'file:///etc/passwd',
      `${ledger.url}/../x?y`,
    ]) {
      const r = await call(base, 'POST', '/api/circuits/alice/challenge', {}, { 'x-eni6ma-ledger-url': url });
      assert.equal(r.status, 400, url);
    }
  });

  test('a standalone ledger process picked by URL: validate burns there, whatever the validate request says', async () => {
    const ch = await challenge('alice', { 'x-eni6ma-ledger-url': ledger.url });
    const st = await call(ledger.url, 'GET', `/status/${ch.nonce_uuid}`);
    assert.equal(st.body.state, 'RESERVED');
    assert.equal((await call(base, 'GET', `/api/ledger/status/${ch.nonce_uuid}`)).status, 404);
    const r = await validate('alice', answer(ch, solveSixzone(ch.challenge, SECRET)));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await call(ledger.url, 'GET', `/status/${ch.nonce_uuid}`)).body.state, 'SPENT');
  });

  test('a revoked build: challenge and validate are 403 FORBIDDEN (reason revoked), discovery says revoked', async () => {
    const ch = await challenge('erin');
    const rv = await call(
      base,
      'POST',
      '/api/admin/revocations',
      { sha256: minted.erin!.manifest.sha256 },
      adminHeaders(TOKEN),
    );
    assert.equal(rv.status, 200);
    assert.equal(rv.body.revoked_builds, 1);
    const c = await call(base, 'POST', '/api/circuits/erin/challenge', {});
    assert.equal(c.status, 403);
    assert.equal(c.body.error.details.reason, 'revoked');
    const v = await validate('erin', answer(ch, solveSixzone(ch.challenge, SECRET)));
    assert.equal(v.status, 403);
    assert.equal(v.body.error.details.reason, 'revoked');
    assert.equal((await call(base, 'GET', '/api/circuits/erin/verify')).body.revoked, true);
    // Revocation needs the admin token.
    assert.equal(
      (await call(base, 'POST', '/api/admin/revocations', { sha256: minted.alice!.manifest.sha256 })).status,
      401,
    );
    assert.equal(
      (
        await call(
          base,
          'POST',
          '/api/admin/revocations',
          { sha256: minted.alice!.manifest.sha256 },
          adminHeaders('wrong'),
        )
      ).status,
      401,
    );
  });

  test('CLI proxy: listed commands run in the sandbox; validate-response and unlisted commands are refused', async () => {
    const info = await call(base, 'POST', '/api/circuits/alice/cli/info', { command: 'info', args: [], flags: {} });
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body.exit_code, 0);
    assert.equal(JSON.parse(info.body.stdout).circuit, 'sixzone');
    assert.equal(typeof info.body.duration_ms, 'number');
    assert.equal(info.body.timed_out, false);
    const ch = await call(base, 'POST', '/api/circuits/alice/cli/challenge', {
      command: 'challenge',
      input: { nonce_uuid: 'n', tau: 't', seed: 'ab'.repeat(32) },
    });
    assert.equal(ch.body.exit_code, 0);

    const v = await call(base, 'POST', '/api/circuits/alice/cli/validate-response', {
      command: 'validate-response',
      input: { nonce_uuid: 'n', tau: 't', seed: 'ab'.repeat(32), payload: { bearings: ['N'] }, secret: SECRET },
    });
    assert.equal(v.status, 403);
    const unlisted = await call(base, 'POST', '/api/circuits/alice/cli/sign-msg', { command: 'sign-msg' });
    assert.equal(unlisted.status, 403);
    assert.deepEqual(unlisted.body.error.details.commands, ['info', 'challenge', 'validate-response']);
    const mismatch = await call(base, 'POST', '/api/circuits/alice/cli/info', { command: 'challenge' });
    assert.equal(mismatch.status, 400);
    assert.equal((await call(base, 'POST', '/api/circuits/nobody/cli/info', { command: 'info' })).status, 404);
  });

  test('100 simultaneous validates of one nonce: exactly one 200, the rest 409', async () => {
    const ch = await challenge('alice');
    const body = answer(ch, solveSixzone(ch.challenge, SECRET));
    const results = await Promise.all(Array.from({ length: 100 }, () => validate('alice', body)));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1);
    assert.equal(statuses.filter((s) => s === 409).length, 99);
  });
});

describe('nonce expiry and per-IP budgets', () => {
  test('a challenge answered after its TTL is 410 EXPIRED; challenges beyond the per-IP budget are 429', async (t) => {
    const clock = new ManualClock();
    const { reg } = await startPublishingRegistry({
      token: TOKEN,
      config: { ledger: { ttl_seconds: 1 }, proof: { challenge_rps: 0.01, burst: 2 } },
      clock,
      circuits: { alice: SECRET },
    });
    defer(t, () => reg.close());
    const ch = (await call<Challenge>(reg.url, 'POST', '/api/circuits/alice/challenge', {})).body;
    clock.advance(1000);
    const r = await call(
      reg.url,
      'POST',
      '/api/circuits/alice/validate',
      answer(ch, solveSixzone(ch.challenge, SECRET)),
    );
    assert.equal(r.status, 410, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'EXPIRED');
    assert.equal((await call(reg.url, 'POST', '/api/circuits/alice/challenge', {})).status, 200);
    const limited = await call(reg.url, 'POST', '/api/circuits/alice/challenge', {});
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });
});
