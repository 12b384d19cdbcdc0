import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  createIdentity,
  DirectoryClient,
  handleOf,
  identitySignatureValid,
  RegistryError,
  type PowProgress,
} from '../../src/client/index.js';
import { identityFor } from '../helpers/directory-client.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { powOn, VECTOR, VECTOR_ENVELOPE_CONFIG as envelope } from '../directory/vector.js';

const isCode = (code: string, status?: number) => (e: unknown) =>
  e instanceof RegistryError && e.code === code && (status === undefined || e.status === status);

describe('SDK directory calls against a live registry (PoW on, difficulty 8)', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  let dir: DirectoryClient;
  before(async () => {
    const syncToken = createHash('sha256').update('sdk-peer').digest('hex');
    reg = await startTestRegistry({
      envelope,
      pow: { enabled: true, difficulty: 8 },
      sync: { token_sha256_hex: [syncToken] },
      rate_limit: { enabled: false },
    });
    dir = new DirectoryClient({ baseUrl: reg.url, pepperHex: VECTOR.pepperHex });
  });
  after(() => reg.close());

  test('register → checkUser → resolve (opened, PoW solved automatically); a second register is CONFLICT', async () => {
    const { identity, secret } = createIdentity('sdk-carol');
    assert.equal(identity.user_id, handleOf('sdk-carol'));
    assert.ok(identitySignatureValid(identity));
    assert.ok(
      !identitySignatureValid({ ...identity, created_at_ms: identity.created_at_ms + 1 }),
      'the signature covers the fields',
    );
    assert.match(secret.signing_private_key_hex, /^[0-9a-f]{64}$/);

    await dir.register(identity);
    // Without the SDK, check_user is refused for want of PoW: the SDK really solved one.
    assert.equal((await call(reg.url, 'GET', `/check_user/${identity.user_id}`)).body.error.code, 'POW_REQUIRED');
    const progress: PowProgress[] = [];
    assert.equal(await dir.checkUser(identity.user_id, { onPowProgress: (p) => progress.push(p) }), true);
    assert.equal(await dir.checkUser(handleOf('sdk-nobody')), false);
    assert.deepEqual(await dir.resolve(identity.user_id.toUpperCase()), identity);
    assert.equal(await dir.resolve(handleOf('sdk-nobody')), null);
    await assert.rejects(dir.register(identity), isCode('CONFLICT', 409));
  });

  test('a client with the wrong pepper: the registry refuses its register, and resolve does not open', async () => {
    const wrong = new DirectoryClient({ baseUrl: reg.url, pepperHex: '00'.repeat(32) });
    await assert.rejects(wrong.register(createIdentity('sdk-dave').identity), isCode('INVALID_INPUT', 400));
    const { identity } = createIdentity('sdk-erin');
    await dir.register(identity);
    await assert.rejects(wrong.resolve(identity.user_id), isCode('BAD_ENVELOPE'));
  });

  test('announce, sync (merged count), nodes and addNodes', async () => {
    const { identity } = createIdentity('sdk-frank');
    await dir.announce(identity.user_id, 'tcp://198.51.100.7:9000');
    await assert.rejects(dir.announce(identity.user_id, 'x'.repeat(300)), isCode('INVALID_INPUT', 400));
    const peers = [identityFor('sdk-gina'), identityFor('sdk-hank')];
    await assert.rejects(dir.sync(peers), isCode('UNAUTHORIZED', 401), 'only peers sync');
    assert.equal(await dir.sync(peers, { token: 'sdk-peer' }), 2);
    assert.equal(await dir.sync(peers, { token: 'sdk-peer' }), 0, 'a resend merges nothing');
    assert.equal((await dir.resolve(peers[0]!.user_id))?.username_hint, 'sdk-gina');
    assert.equal(await dir.addNodes([{ base_url: 'https://node-a.example' }]), 1);
    assert.ok((await dir.nodes()).some((n) => n.base_url === 'https://node-a.example'));
  });

  test('bad input is refused before anything is sent', async () => {
    await assert.rejects(dir.checkUser('nothex'), isCode('INVALID_INPUT', 0));
    assert.throws(() => new DirectoryClient({ baseUrl: reg.url, pepperHex: 'abc' }), isCode('INVALID_INPUT'));
    await assert.rejects(new DirectoryClient({ baseUrl: reg.url }).resolve(handleOf('x')), /pepper/);
  });
});

describe('SDK PoW solving', () => {
  test('a cancelled solve stops promptly, keeps the event loop responsive and reports progress', async (t) => {
    // Difficulty 30 on one thread takes minutes: the solve only ends by the abort.
    const reg = await startTestRegistry(powOn(30), { t });
    const dir = new DirectoryClient({ baseUrl: reg.url, pepperHex: VECTOR.pepperHex });
    const ac = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const progress: PowProgress[] = [];
    // Cancel on events, not a clock: once progress was reported twice and the 20 ms timer has fired 5 times
    // during the solve (it only can if the solver yields), or, if it never does, after 1000 reports
    // (16M attempts, far short of the 2^30 a solution takes) so that the test fails instead of hanging.
    let abortedAt = 0;
    const onPowProgress = (p: PowProgress) => {
      progress.push(p);
      if (abortedAt === 0 && ((progress.length >= 2 && ticks >= 5) || progress.length === 1000)) {
        abortedAt = Date.now();
        ac.abort(new Error('cancelled by the test'));
      }
    };
    await assert.rejects(dir.checkUser(handleOf('x'), { signal: ac.signal, onPowProgress }), /cancelled by the test/);
    clearInterval(timer);
    assert.ok(Date.now() - abortedAt < 1500, `stopped ${Date.now() - abortedAt} ms after the abort`);
    assert.ok(ticks >= 5, `timers ran during the solve (${ticks} ticks)`);
    assert.ok(progress.length > 0 && progress.every((p) => p.expected === 2 ** 30));
    assert.ok(progress.every((p, i) => i === 0 || p.attempts > progress[i - 1]!.attempts));
  });

  test('a 429 is retried after its Retry-After; without retries it surfaces as RATE_LIMITED with retryAfterSeconds', async (t) => {
    const reg = await startTestRegistry(
      {
        envelope,
        rate_limit: { per_ip_rps: 100, burst: 1, ban_seconds: 1, endpoints: { check_user_rps: 0.5 } },
      },
      { t },
    );
    const h = handleOf('x');
    const noRetry = new DirectoryClient({ baseUrl: reg.url, retries: 0 });
    assert.equal(await noRetry.checkUser(h), false);
    await assert.rejects(
      noRetry.checkUser(h),
      (e: unknown) => isCode('RATE_LIMITED', 429)(e) && (e as RegistryError).retryAfterSeconds === 1,
    );
    // Banned for 1 s now: the retrying client waits it out and succeeds.
    const started = Date.now();
    assert.equal(await new DirectoryClient({ baseUrl: reg.url }).checkUser(h), false);
    assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms`);
    // A Retry-After above maxRetryDelayMs is not waited for.
    await assert.rejects(
      new DirectoryClient({ baseUrl: reg.url, maxRetryDelayMs: 10 }).checkUser(h),
      isCode('RATE_LIMITED', 429),
    );
  });
});
