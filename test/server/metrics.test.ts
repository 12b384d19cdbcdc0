// GET /metrics: off by default, admin-only unless public, and its counters move with real traffic.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DEMO_HANDLE, DEMO_SECRET } from '../../src/client/demo.js';
import { ProofClient } from '../../src/client/proof.js';
import { solveSixzone, type SixzoneChallenge } from '../../src/client/sixzone.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { sha256Hex } from '../proof/mint.js';

const TOKEN = 'metrics-admin-token';
const admin = { token_sha256_hex: [createHash('sha256').update(TOKEN).digest('hex')] };

/** The value of one sample of the Prometheus text, 0 when the series does not exist yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function scrape(
  base: string,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics', () => {
  test('off by default: 404', async (t) => {
    const reg = await startTestRegistry({ admin }, { t });
    assert.equal((await call(reg.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` })).status, 404);
  });

  test('enabled: admin only; requests, proof steps, burns, store/ledger latency, executor runs and refusals are counted', async (t) => {
    const reg = await startTestRegistry(
      {
        admin,
        metrics: { enabled: true },
        demo: { enabled: true },
        proof: { cli_rps: 0.01, burst: 3, lockout_after: 5, guesses_per_hour: 90, pow_free_failures: 3 },
      },
      { t },
    );
    assert.equal((await call(reg.url, 'GET', '/metrics')).status, 401);
    assert.equal((await call(reg.url, 'GET', '/metrics', undefined, { authorization: 'Bearer wrong' })).status, 401);
    const before = await scrape(reg.url);

    const proof = new ProofClient({ baseUrl: reg.url, retries: 0 });
    const ch = await proof.challenge(DEMO_HANDLE);
    const bearings = solveSixzone(ch.challenge as SixzoneChallenge, DEMO_SECRET);
    await proof.validate(DEMO_HANDLE, ch, bearings);
    // The same answer again: the nonce is burnt already.
    const body = {
      kind: 'bearings',
      nonce_uuid: ch.nonce_uuid,
      payload: { tau: ch.tau, bearings, proof_hash: sha256Hex(`${ch.nonce_uuid}|${ch.tau}|${bearings.join(',')}`) },
    };
    assert.equal((await call(reg.url, 'POST', `/api/circuits/${DEMO_HANDLE}/validate`, body)).status, 409);
    // A wrong answer.
    const ch2 = await proof.challenge(DEMO_HANDLE);
    const wrong = await proof
      .validate(DEMO_HANDLE, ch2, solveSixzone(ch2.challenge as SixzoneChallenge, { symbols: 'WRONG999' }))
      .catch((e: unknown) => e);
    assert.equal((wrong as { code?: string }).code, 'PROOF_REJECTED');
    // The CLI proxy: a burst of 3 runs, then the rate limit refuses (cli_rps is tiny, so no token comes back meanwhile).
    const cli = { command: 'info', args: [], flags: {} };
    for (let i = 0; i < 3; i++)
      assert.equal((await call(reg.url, 'POST', `/api/circuits/${DEMO_HANDLE}/cli/info`, cli)).status, 200);
    assert.equal((await call(reg.url, 'POST', `/api/circuits/${DEMO_HANDLE}/cli/info`, cli)).status, 429);

    const after = await scrape(reg.url);
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    assert.equal(
      moved('enigma_http_requests_total', {
        method: 'POST',
        route: '/api/circuits/:handle/challenge',
        status: '200',
      }),
      2,
    );
    assert.equal(
      moved('enigma_http_requests_total', { method: 'POST', route: '/api/circuits/:handle/validate', status: '409' }),
      1,
    );
    assert.equal(
      moved('enigma_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/circuits/:handle/validate',
        status: '200',
      }),
      1,
    );
    assert.equal(moved('enigma_proof_steps_total', { step: 'challenge', outcome: 'ok' }), 2);
    assert.equal(moved('enigma_proof_steps_total', { step: 'validate', outcome: 'ok' }), 1);
    assert.equal(moved('enigma_proof_steps_total', { step: 'validate', outcome: 'replay' }), 1);
    assert.equal(moved('enigma_proof_steps_total', { step: 'validate', outcome: 'proof_rejected' }), 1);
    assert.equal(moved('enigma_ledger_burns_total', { outcome: 'spent' }), 2);
    assert.equal(moved('enigma_ledger_burns_total', { outcome: 'replay' }), 1);
    assert.ok(moved('enigma_ledger_operation_duration_seconds_count', { op: 'reserve', failed: 'false' }) >= 2);
    // Every challenge and validate appends an audit event (catalog reads are served from the in-process cache).
    assert.ok(
      moved('enigma_store_operation_duration_seconds_count', { domain: 'audit', op: 'append', failed: 'false' }) >= 5,
    );
    assert.ok(
      moved('enigma_executor_runs_total', { outcome: 'ok' }) >= 3,
      'challenges, the valid proof and the CLI run',
    );
    assert.equal(moved('enigma_rate_limit_refusals_total', { scope: 'api:cli' }), 1);
    assert.match(after, /^enigma_executor_queue_depth 0$/m);
    // The scrape itself is counted, by its route template.
    assert.ok(sample(after, 'enigma_http_requests_total', { method: 'GET', route: '/metrics', status: '200' }) >= 1);
  });

  test('metrics.public = true: scrapers need no token', async (t) => {
    const reg = await startTestRegistry({ metrics: { enabled: true, public: true } }, { t });
    await call(reg.url, 'GET', '/api/health');
    const text = await scrape(reg.url, {});
    assert.ok(sample(text, 'enigma_http_requests_total', { method: 'GET', route: '/api/health', status: '200' }) >= 1);
  });
});
