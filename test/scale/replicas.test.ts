// Three real registry processes (`enigma-registry serve`) on one PostgreSQL schema and one Redis, as
// behind a load balancer: each request goes to one replica, and the answers must be those of one registry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SIXZONE_BEARINGS, solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import { solvePow } from '../../src/guard/pow.js';
import { identityFor, sealTo } from '../helpers/directory-client.js';
import { until } from '../helpers/clock.js';
import { call, spawnCli, tempDir, type SpawnedRegistry } from '../helpers/registry.js';
import {
  dropRedisPrefix,
  freshSchema,
  postgresSkip,
  REDIS_URL,
  redisPrefix,
  redisSkip,
  type TestSchema,
} from '../helpers/services.js';
import { adminHeaders, mintSixzone, newPublisher, publish, sha256Hex } from '../proof/mint.js';

const skip = (await postgresSkip()) ?? (await redisSkip());
const hex = (n: number) => randomBytes(n).toString('hex');
const PEPPER = hex(32);
const TOKEN = 'replica-admin-token';
const SECRET: SixzoneSecret = {
  symbols: 'R3PL',
  mapping: { red: 'N', orange: 'NE', yellow: 'SE', green: 'S', blue: 'SW', violet: 'NW' },
};

// Every request comes "through the load balancer" (127.0.0.1, trusted) for a client named in
// X-Forwarded-For: a fresh address per request unless a test means one client.
let clientSeq = 0;
const anyClient = () => {
  clientSeq++;
  return { 'x-forwarded-for': `198.18.${(clientSeq >> 8) & 255}.${clientSeq & 255}` };
};

describe('three replicas on one PostgreSQL and one Redis', { skip }, () => {
  const dir = tempDir();
  const publisher = newPublisher();
  const prefix = redisPrefix();
  let schema: TestSchema;
  let replicas: SpawnedRegistry[] = [];
  let urls: string[] = [];
  let serverKey: { kid_hex: string; x25519_public_key_hex: string };
  const at = (i: number) => urls[i % urls.length]!;

  before(async () => {
    schema = await freshSchema();
    // Replicas share every key by configuration (see docs/replicas.md) and the state_dir for the audit salt.
    const cfg = join(dir.path, 'registry.toml');
    writeFileSync(
      cfg,
      `address = "127.0.0.1:0"
state_dir = "${dir.path}"
trusted_proxies = ["127.0.0.1"]
[log]
level = "warn"
[storage]
kind = "postgres"
url = "${schema.url}"
pool_size = 8
[rate_limit]
store = "redis"
redis_url = "${REDIS_URL}"
redis_key_prefix = "${prefix}"
per_ip_rps = 0.05
burst = 5
ban_seconds = 30
[rate_limit.endpoints]
register_rps = 0.05
check_user_rps = 0.05
[envelope]
pepper_hex = "${PEPPER}"
keys = [{ kid_hex = "${hex(8)}", x25519_private_key_hex = "${hex(32)}", active = true }]
[circuits]
publisher_public_keys_hex = ["${publisher.publicHex}"]
sealing_keys = [{ kid_hex = "${hex(8)}", x25519_private_key_hex = "${hex(32)}", active = true }]
[admin]
token_sha256_hex = ["${sha256Hex(TOKEN)}"]
[proof]
seed_secret_hex = "${hex(32)}"
receipt_keys = [{ kid_hex = "${hex(8)}", ed25519_private_key_hex = "${hex(32)}", active = true }]
handle_rps = 1000
burst = 1000
lockout_after = 3
lockout_seconds = 60
guesses_per_hour = 90
pow_free_failures = 3
`,
    );
    // Started together: the second and third race the first on the migrations.
    replicas = await Promise.all([0, 1, 2].map(() => spawnCli(['serve', '--config', cfg])));
    urls = replicas.map((r) => r.url);
    serverKey = (await call(urls[0]!, 'GET', '/envelope_pubkey')).body;
  });

  after(async () => {
    for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.exited));
    await schema?.drop();
    await dropRedisPrefix(prefix);
    dir.remove();
  });

  const register = (url: string, username: string, headers = anyClient()) => {
    const id = identityFor(username);
    return call(
      url,
      'POST',
      '/register',
      { handle: id.user_id, envelope: sealTo(serverKey, PEPPER, id.user_id, id) },
      headers,
    );
  };

  test('100 concurrent registers of one handle across the replicas: exactly one 200, the rest 409', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => register(at(i), 'contested')));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 409).length, 99);
    for (const url of urls)
      assert.deepEqual(
        (await call(url, 'GET', `/check_user/${identityFor('contested').user_id}`, undefined, anyClient())).body,
        { exists: true },
      );
  });

  test("a client's budget is shared: burst 5 across three replicas, then it is banned on all of them", async () => {
    const me = { 'x-forwarded-for': '203.0.113.77' };
    const handle = identityFor('budget').user_id;
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => call(at(i), 'GET', `/check_user/${handle}`, undefined, me)),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 5, JSON.stringify(results.map((r) => r.status)));
    assert.ok(results.every((r) => r.status === 200 || r.status === 429));
    for (const url of urls) {
      const r = await call(url, 'GET', `/check_user/${handle}`, undefined, me);
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get('retry-after')) > 25, 'the ban, not a refill wait');
      assert.equal(
        (await call(url, 'GET', `/check_user/${handle}`, undefined, anyClient())).status,
        200,
        'another client is unaffected',
      );
    }
  });

  /** Publishes a sixzone circuit for `handle` through one replica. */
  const publishCircuit = async (handle: string) => {
    const recipient = (await call(urls[0]!, 'GET', '/api/circuits/sealing-key')).body;
    assert.equal(
      (await publish(urls[1]!, TOKEN, mintSixzone({ handle, secret: SECRET, recipient, publisher }))).status,
      201,
    );
  };
  /** A challenge from replica `i` and the validate body answering it (right, or wrong in round 0). */
  const challengeAt = async (i: number, handle: string, right = true, client = anyClient()) => {
    const ch = (
      await call<{ nonce_uuid: string; tau: string; challenge: SixzoneChallenge }>(
        at(i),
        'POST',
        `/api/circuits/${handle}/challenge`,
        {},
        client,
      )
    ).body;
    const solved = solveSixzone(ch.challenge, SECRET);
    const bearings = right ? solved : [SIXZONE_BEARINGS.find((b) => b !== solved[0])!, ...solved.slice(1)];
    return {
      kind: 'bearings',
      nonce_uuid: ch.nonce_uuid,
      payload: { tau: ch.tau, bearings, proof_hash: sha256Hex(`${ch.nonce_uuid}|${ch.tau}|${bearings.join(',')}`) },
    };
  };

  test('200 concurrent validates of one nonce spread across the replicas: exactly one 200, the rest 409 REPLAY', async () => {
    await publishCircuit('replicated');
    const body = await challengeAt(2, 'replicated');
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(at(i), 'POST', '/api/circuits/replicated/validate', body, anyClient()),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, JSON.stringify(results.filter((r) => r.status !== 409).map((r) => r.body)));
    assert.equal(ok[0]!.body.validated, true);
    assert.ok(results.every((r) => r.status === 200 || r.body.error.code === 'REPLAY'));
  });

  test('lockout and guessing counters are shared: wrong proofs at three replicas lock their client out everywhere, and make the handle cost PoW', async () => {
    await publishCircuit('guarded');
    const attacker = { 'x-forwarded-for': '198.51.100.66' };
    for (let i = 0; i < 3; i++) {
      const r = await call(
        at(i),
        'POST',
        '/api/circuits/guarded/validate',
        await challengeAt(i + 1, 'guarded', false, attacker),
        attacker,
      );
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.details.locked_out, i === 2, 'counted across replicas');
    }
    for (const url of urls) {
      const locked = await call(url, 'POST', '/api/circuits/guarded/challenge', {}, attacker);
      assert.equal(locked.status, 429, JSON.stringify(locked.body));
      assert.equal(locked.body.error.details.reason, 'locked_out');
      // Anyone else is not locked out, but pays proof of work: three failures at the handle (pow_free_failures).
      const other = await call(url, 'POST', '/api/circuits/guarded/challenge', {}, anyClient());
      assert.equal(other.status, 400, JSON.stringify(other.body));
      assert.equal(other.body.error.code, 'POW_REQUIRED');
      assert.equal(other.body.error.details.pow.difficulty, 12);
    }
    // The PoW challenge one replica issued is solved at another, once.
    const owner = { 'x-forwarded-for': '198.51.100.67' };
    const pow = (await call(urls[0]!, 'POST', '/api/circuits/guarded/challenge', {}, owner)).body.error.details.pow as {
      challenge: string;
      difficulty: number;
    };
    const header = { ...owner, 'x-enigma-pow': `${pow.challenge}:${solvePow(pow.challenge, pow.difficulty)}` };
    assert.equal((await call(urls[1]!, 'POST', '/api/circuits/guarded/challenge', {}, header)).status, 200);
    assert.equal(
      (await call(urls[2]!, 'POST', '/api/circuits/guarded/challenge', {}, header)).body.error.code,
      'POW_REQUIRED',
      'single use',
    );
  });

  test('catalog caches: a revoke through one replica refuses the next challenge and validate at the others; a new build shows at once', async () => {
    await publishCircuit('cached');
    const challenge = (i: number) =>
      call<{ circuit: { build_id: string; sha256: string } }>(
        at(i),
        'POST',
        '/api/circuits/cached/challenge',
        {},
        anyClient(),
      );
    // Every replica has looked the build up, twice (the second from its cache).
    const first = await challenge(0);
    for (let i = 0; i < 6; i++) assert.equal((await challenge(i)).status, 200);
    const pending = await challengeAt(2, 'cached');
    // Replica 1 looks the pinned build up at validate, and keeps it too.
    assert.equal(
      (await call(at(1), 'POST', '/api/circuits/cached/validate', await challengeAt(0, 'cached'), anyClient())).status,
      200,
    );

    const revoke = await call(
      urls[0]!,
      'POST',
      '/api/admin/revocations',
      { sha256: first.body.circuit.sha256 },
      adminHeaders(TOKEN),
    );
    assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
    for (const i of [1, 2]) {
      const r = await challenge(i);
      assert.equal(r.status, 403, `replica ${i} served a revoked build (answered ${r.status})`);
      assert.equal((r.body as unknown as { error: { details: { reason: string } } }).error.details.reason, 'revoked');
    }
    const late = await call(at(1), 'POST', '/api/circuits/cached/validate', pending, anyClient());
    assert.equal(late.status, 403, JSON.stringify(late.body));

    // A new build published through replica 0 is the current one at the others at once.
    const recipient = (await call(urls[0]!, 'GET', '/api/circuits/sealing-key')).body;
    const next = mintSixzone({ handle: 'cached', secret: SECRET, recipient, publisher });
    assert.equal((await publish(urls[0]!, TOKEN, next)).status, 201);
    for (const i of [1, 2]) {
      const r = await challenge(i);
      assert.equal(r.status, 200, JSON.stringify((r.body as unknown as { error?: unknown }).error));
      assert.equal(r.body.circuit.build_id, next.manifest.build_id, `replica ${i} still serves the old build`);
    }
  });

  test('200 concurrent ledger burns of one nonce across the replicas: exactly one 200', async () => {
    const n = (await call(urls[0]!, 'POST', '/api/ledger/reserve', {}, anyClient())).body as {
      uuid: string;
      tau: string;
    };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(at(i), 'POST', '/api/ledger/response', { uuid: n.uuid, tau: n.tau }, anyClient()),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(results.filter((r) => r.status === 409).length, 199);
  });

  test('a replica killed with SIGKILL mid-load loses no answered write', async () => {
    const answered: Array<{ username: string; replica: number }> = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        const username = `load-${i}`;
        try {
          const r = await register(at(i), username);
          if (r.status === 200) answered.push({ username, replica: i % 3 });
          else assert.fail(`register ${username} answered ${r.status}: ${JSON.stringify(r.body)}`);
        } catch (e) {
          // Only the killed replica may fail, and only by dropping the connection.
          if (i % 3 !== 2 || !(e instanceof TypeError)) {
            stop = true;
            throw e;
          }
        }
      }
    };
    const workers = Array.from({ length: 12 }, worker);
    // Counts of answers, not durations: a loaded machine changes how long this takes, not what is tested.
    await until(() => stop || answered.filter((a) => a.replica === 2).length >= 30, 'replica 2 answered 30 writes');
    replicas[2]!.child.kill('SIGKILL'); // with requests to it in flight
    await replicas[2]!.exited;
    const atKill = answered.length;
    await until(() => stop || answered.length >= atKill + 30, 'the others answered 30 more writes');
    stop = true;
    await Promise.all(workers);

    assert.ok(answered.filter((a) => a.replica === 2).length >= 30, 'the killed replica had answered writes');
    assert.ok(answered.length >= atKill + 30, 'the others went on answering');
    for (let i = 0; i < answered.length; i += 50) {
      const slice = answered.slice(i, i + 50);
      const found = await Promise.all(
        slice.map((a) =>
          call(urls[(i / 50) % 2]!, 'GET', `/check_user/${identityFor(a.username).user_id}`, undefined, anyClient()),
        ),
      );
      found.forEach((r, j) => {
        assert.deepEqual(r.body, { exists: true }, `${slice[j]!.username} (answered by replica ${slice[j]!.replica})`);
      });
    }
  });
});
