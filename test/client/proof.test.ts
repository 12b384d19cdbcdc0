import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ProofClient,
  proofHash,
  RegistryError,
  solveSixzone,
  SIXZONE_BEARINGS,
  type SixzoneSecret,
} from '../../src/client/index.js';
import { startTestRegistry } from '../helpers/registry.js';
import { startProofRegistry } from './proof-registry.js';

const SECRET: SixzoneSecret = {
  symbols: 'M4X9',
  mapping: { red: 'NE', orange: 'S', yellow: 'N', green: 'SW', blue: 'NW', violet: 'SE' },
};

describe('SDK proof flow against a live registry with the real sixzone circuit', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  let client: ProofClient;

  before(async () => {
    reg = await startProofRegistry({ handles: ['sdk-alice', 'sdk-bob'], secret: SECRET, rounds: 6 });
    client = new ProofClient({ baseUrl: reg.url });
  });
  after(() => reg.close());

  test('proofHash matches known-answer vectors (sha256sum of the canonical string)', () => {
    // `printf '%s' '<nonce>|<tau>|<b1,b2>' | sha256sum`: the one definition the SDK and the gateway share.
    for (const [n, t, b, hex] of [
      [
        '0b0c9c8e-1d4e-4c52-9d0e-6f1f0a7c1e11',
        'v1.abc.def',
        ['N', 'SE'],
        '71fc2a3466ddcadeefda9c171a89a703a1758edeb93932b5b6339d9456e604a0',
      ],
      ['x', 'ü|τ', [], 'ba65798e7e0d59862055a2e657f52a6db302d7aa8897dcadeab9031da471f34a'],
    ] as const) {
      assert.equal(proofHash(n, t, b), hex);
    }
  });

  test('challenge → solve → validate → receipt verified against the JWKS', async (t) => {
    const ch = await client.challenge('sdk-alice');
    assert.equal(ch.circuit.handle, 'sdk-alice');
    assert.equal(ch.challenge.rounds.length, 6);
    const r = await client.validate('sdk-alice', ch, solveSixzone(ch.challenge, SECRET));
    assert.equal(r.validated, true);
    const claims = await client.verifyReceipt(r.receipt, {
      handle: 'sdk-alice',
      nonce: ch.nonce_uuid,
      issuer: reg.url,
    });
    assert.equal(claims.sub, 'sdk-alice');
    assert.equal(claims.circuit_sha256, ch.circuit.sha256);
    assert.equal(claims.build_id, ch.circuit.build_id);

    // Claims that do not match, and a tampered signature, are BAD_RECEIPT.
    for (const o of [
      { handle: 'sdk-bob' },
      { nonce: '00000000-0000-4000-8000-000000000000' },
      { issuer: 'https://elsewhere.example' },
    ]) {
      await assert.rejects(
        client.verifyReceipt(r.receipt, o),
        (e: unknown) => e instanceof RegistryError && e.code === 'BAD_RECEIPT',
      );
    }
    const [h, p, s] = r.receipt.split('.') as [string, string, string];
    const forgedSig = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    await assert.rejects(
      client.verifyReceipt(forgedSig),
      (e: unknown) => e instanceof RegistryError && e.code === 'BAD_RECEIPT',
    );
    // A receipt from another registry (other keys) does not verify here.
    const other = await startTestRegistry({}, { t });
    await assert.rejects(
      new ProofClient({ baseUrl: other.url }).verifyReceipt(r.receipt),
      (e: unknown) => e instanceof RegistryError && e.code === 'BAD_RECEIPT',
    );

    // The nonce is spent: the same answer again is a typed REPLAY.
    await assert.rejects(
      client.validate('sdk-alice', ch, solveSixzone(ch.challenge, SECRET)),
      (e: unknown) => e instanceof RegistryError && e.code === 'REPLAY' && e.status === 409,
    );
  });

  test('a wrong answer is a typed PROOF_REJECTED carrying the server details', async () => {
    const ch = await client.challenge('sdk-bob');
    const right = solveSixzone(ch.challenge, SECRET);
    const wrong = [SIXZONE_BEARINGS.find((b) => b !== right[0])!, ...right.slice(1)];
    await assert.rejects(client.validate('sdk-bob', ch, wrong), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'PROOF_REJECTED');
      assert.equal(e.status, 403);
      assert.equal((e.details as { locked_out: boolean }).locked_out, false);
      return true;
    });
  });

  test('unknown handle is NOT_FOUND; a tampered tau is TAU_MISMATCH', async () => {
    await assert.rejects(
      client.challenge('nobody-here'),
      (e: unknown) => e instanceof RegistryError && e.code === 'NOT_FOUND' && e.status === 404,
    );
    const ch = await client.challenge('sdk-alice');
    await assert.rejects(
      client.validate('sdk-alice', { nonce_uuid: ch.nonce_uuid, tau: `${ch.tau}x` }, ['N']),
      (e: unknown) => e instanceof RegistryError && e.code === 'TAU_MISMATCH',
    );
  });
});

describe('SDK retry policy', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  /** Emits `answered` each time a 503 has been sent in full. */
  const server503 = new EventEmitter();
  before(async () => {
    // Always 503 with the registry's error shape: counts how often each call is sent.
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'down' } }), () => server503.emit('answered'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('a 5xx challenge is retried a bounded number of times; validate is sent exactly once', async () => {
    const c = new ProofClient({ baseUrl: base, retries: 2, backoffMs: 5 });
    hits.length = 0;
    await assert.rejects(
      c.challenge('h'),
      (e: unknown) => e instanceof RegistryError && e.code === 'UNAVAILABLE' && e.status === 503,
    );
    assert.deepEqual(hits, Array(3).fill('POST /api/circuits/h/challenge'));
    hits.length = 0;
    await assert.rejects(
      c.validate('h', { nonce_uuid: 'n', tau: 't' }, ['N']),
      (e: unknown) => e instanceof RegistryError && e.status === 503,
    );
    assert.deepEqual(hits, ['POST /api/circuits/h/validate']);
  });

  test('a network error is NETWORK, retried for challenge, never for validate', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const c = new ProofClient({ baseUrl: url, retries: 2, backoffMs: 100 });
    let t = Date.now();
    await assert.rejects(
      c.challenge('h'),
      (e: unknown) => e instanceof RegistryError && e.code === 'NETWORK' && e.status === 0,
    );
    assert.ok(Date.now() - t >= 300, 'two back-offs (100 + 200 ms) were waited');
    // A retry would first wait out a minute of back-off; a refused loopback connection takes nowhere near half.
    const patient = new ProofClient({ baseUrl: url, retries: 2, backoffMs: 60_000 });
    t = Date.now();
    await assert.rejects(
      patient.validate('h', { nonce_uuid: 'n', tau: 't' }, ['N']),
      (e: unknown) => e instanceof RegistryError && e.code === 'NETWORK',
    );
    assert.ok(Date.now() - t < 30_000, 'validate did not back off and retry');
  });

  test('an abort stops the back-off and rejects with the abort reason', async () => {
    const c = new ProofClient({ baseUrl: base, retries: 5, backoffMs: 10_000 });
    const ac = new AbortController();
    hits.length = 0;
    // Aborted once the first attempt has had its 503: the client is then in its 10 s back-off.
    void once(server503, 'answered').then(() => ac.abort(new Error('user gave up')));
    const t = Date.now();
    await assert.rejects(c.challenge('h', { signal: ac.signal }), /user gave up/);
    assert.ok(Date.now() - t < 2000);
    assert.deepEqual(hits, ['POST /api/circuits/h/challenge'], 'no retry after the abort');
  });
});
