import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ArtifactCorruptError } from '../../src/storage/artifacts.js';
import type { Store } from '../../src/storage/store.js';
import { ARTIFACTS_MIGRATIONS } from '../../src/storage/postgres/artifacts.js';
import { AUDIT_MIGRATIONS } from '../../src/storage/postgres/audit.js';
import { CIRCUITS_MIGRATIONS } from '../../src/storage/postgres/circuits.js';
import { DIRECTORY_MIGRATIONS } from '../../src/storage/postgres/directory.js';
import { BURN, LEDGER_MIGRATIONS } from '../../src/storage/postgres/ledger.js';
import { feedAppendLock, feedPages, lockKey, type Feed, type PgPool } from '../../src/storage/postgres/db.js';
import { openPostgresStore } from '../../src/storage/postgres/index.js';
import { until } from '../helpers/clock.js';
import { freshSchema, postgresSkip, type TestSchema } from '../helpers/services.js';

const skip = await postgresSkip();
const open = (url: string) =>
  openPostgresStore({ url, poolSize: 8, presenceMaxEntries: 1_000_000, onIdleError: (e) => assert.fail(e) });
const rand = () => new Uint8Array(randomBytes(32));

describe('PostgreSQL store', { skip }, () => {
  let schema: TestSchema;
  // Two stores on one schema, each with its own pool: two replicas.
  let a: Store;
  let b: Store;
  before(async () => {
    schema = await freshSchema();
    // Both start at once on an empty schema: the migrations must not race.
    [a, b] = await Promise.all([open(schema.url), open(schema.url)]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await schema?.drop();
  });

  const sql = async <T extends pg.QueryResultRow>(q: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    try {
      return (await c.query<T>(q, params)).rows;
    } finally {
      await c.end();
    }
  };

  /**
   * The race a feed guards against, made certain to happen: an append that draws its seq as the stores do
   * (the feed's lock shared, then the insert) and stays in flight while later appends commit with higher
   * seqs. It commits once a feed reader waits for it, or once `reading` has settled without waiting; a
   * reader that answered without it has then moved its cursor past its seq.
   */
  const slowAppend = async (feed: Feed, insert: string) => {
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query(`WITH l AS (SELECT ${feedAppendLock(feed)}) ${insert} FROM l`);
    // A reader's barrier queued on this schema's feed lock (objid holds the key's low 32 bits).
    const waitedFor = async () =>
      Number(
        (
          await sql<{ n: string }>(
            `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid::bigint = ${lockKey(feed)}::bigint & 4294967295`,
          )
        )[0]!.n,
      ) > 0;
    return async (reading: Promise<unknown>) => {
      let settled = false;
      reading.then(
        () => (settled = true),
        () => (settled = true),
      );
      try {
        await until(async () => settled || (await waitedFor()), 'the reader answered or waited');
        await c.query('COMMIT');
      } finally {
        await c.end();
      }
    };
  };

  test('concurrent starts applied each migration exactly once; a newer schema is refused', async () => {
    const rows = await sql<{ domain: string; n: string }>(
      'SELECT domain, count(*) AS n FROM schema_migrations GROUP BY domain ORDER BY domain',
    );
    // Each version once: as many rows as the domain has migrations.
    assert.deepEqual(
      rows.map((r) => [r.domain, Number(r.n)]),
      [
        ['artifacts', ARTIFACTS_MIGRATIONS.length],
        ['audit', AUDIT_MIGRATIONS.length],
        ['circuits', CIRCUITS_MIGRATIONS.length],
        ['directory', DIRECTORY_MIGRATIONS.length],
        ['ledger', LEDGER_MIGRATIONS.length],
      ],
    );
    // Three more at once on the migrated schema: nothing to do, no error.
    await Promise.all([open(schema.url), open(schema.url), open(schema.url)].map(async (p) => (await p).close()));
    await sql("INSERT INTO schema_migrations (domain, version, applied_at) VALUES ('ledger', 99, 0)");
    try {
      await assert.rejects(open(schema.url), /ledger is version 99, newer than this build knows/);
    } finally {
      await sql("DELETE FROM schema_migrations WHERE domain = 'ledger' AND version = 99");
    }
  });

  test('a URL whose search_path names no schema is refused with a clear message', async () => {
    const url = new URL(schema.url);
    url.searchParams.set('options', '-c search_path=no_such_schema_here');
    await assert.rejects(open(url.toString()), /search_path names no existing schema/);
  });

  test('50 concurrent inserts of one identity from two replicas: exactly one wins, the first value stays', async () => {
    const index = rand();
    const values = Array.from({ length: 50 }, () => rand());
    const wins = await Promise.all(values.map((v, i) => (i % 2 ? a : b).directory.insertIdentity(index, v)));
    assert.equal(wins.filter(Boolean).length, 1);
    const stored = await b.directory.getIdentity(index);
    assert.deepEqual(stored, values[wins.indexOf(true)]);
    assert.equal(await a.directory.hasIdentity(index), true);
    assert.equal(await a.directory.hasIdentity(rand()), false);
    assert.equal(await a.directory.getIdentity(rand()), undefined);
  });

  test('insertIdentities counts new rows once, duplicates in the batch included', async () => {
    const x = rand();
    const y = rand();
    assert.equal(await a.directory.insertIdentities([]), 0);
    assert.equal(
      await a.directory.insertIdentities([
        { index: x, sealed: rand() },
        { index: x, sealed: rand() },
        { index: y, sealed: rand() },
      ]),
      2,
    );
    assert.equal(
      await b.directory.insertIdentities([
        { index: y, sealed: rand() },
        { index: rand(), sealed: rand() },
      ]),
      1,
    );
  });

  test('presence: seen_ms never moves back; GC from both replicas at once removes each old row once and keeps fresh ones', async () => {
    const old = Array.from({ length: 30 }, () => rand());
    const fresh = Array.from({ length: 10 }, () => rand());
    await Promise.all(old.map((i) => a.directory.upsertPresence(i, rand(), 1_000)));
    await Promise.all(fresh.map((i) => b.directory.upsertPresence(i, rand(), 5_000)));
    // A replica with a slow clock refreshes a fresh row: it must not age it back to 1000.
    await a.directory.upsertPresence(fresh[0]!, rand(), 1_000);
    assert.equal(await a.directory.countPresence(), 40);
    const purged = await Promise.all([
      a.directory.purgePresence(2_000, 1000),
      b.directory.purgePresence(2_000, 1000),
      a.directory.purgePresence(2_000, 1000),
    ]);
    // Whichever replica held the GC lock did the work; a later round finds nothing left to do.
    const total = purged.reduce((s, n) => s + n, 0) + (await b.directory.purgePresence(2_000, 1000));
    assert.equal(total, 30);
    assert.equal(await b.directory.countPresence(), 10);
    // The bound: the oldest beyond max_entries go.
    await a.directory.upsertPresence(rand(), rand(), 6_000);
    assert.equal(await a.directory.purgePresence(0, 5), 6);
    assert.equal(await a.directory.countPresence(), 5);
  });

  test('nodes: the max bound holds under concurrent adds from both replicas; order and dedupe kept', async () => {
    const batches = Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: 5 }, (_, j) => `https://n${i}-${j}.example`),
    );
    const added = await Promise.all(
      batches.map((urls, i) => (i % 2 ? a : b).directory.addNodes([...urls, urls[0]!], 12)),
    );
    assert.equal(
      added.reduce((s, n) => s + n, 0),
      12,
    );
    const nodes = await a.directory.listNodes();
    assert.equal(nodes.length, 12);
    assert.equal(new Set(nodes).size, 12);
    assert.equal(await b.directory.addNodes(['https://late.example'], 12), 0);
  });

  test("nodes: one contributor's share holds under concurrent adds from both replicas; another contributor still gets in", async () => {
    const share = { contributor: rand().subarray(0, 16), max: 3 };
    const batches = Array.from({ length: 6 }, (_, i) => [`https://share${i}-a.example`, `https://share${i}-b.example`]);
    const added = await Promise.all(batches.map((urls, i) => (i % 2 ? a : b).directory.addNodes(urls, 100, share)));
    assert.equal(
      added.reduce((s, n) => s + n, 0),
      3,
    );
    assert.equal(await a.directory.addNodes(['https://share-late.example'], 100, share), 0);
    assert.equal(
      await b.directory.addNodes(['https://other.example'], 100, { contributor: rand().subarray(0, 16), max: 3 }),
      1,
    );
  });

  test('ledger: 60 concurrent burns of one nonce across replicas → exactly one spent, the rest replays, all recorded', async () => {
    const now = Date.now();
    const uuid = randomUUID();
    const tau = randomBytes(16).toString('hex');
    await a.ledger.reserve(uuid, tau, now + 60_000, now);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).ledger.spend(uuid, tau, Date.now())),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.ok(results.every((r) => r.ok || r.reason === 'replay'));
    const status = await b.ledger.status(uuid, Date.now());
    assert.equal(status?.state, 'SPENT');
    const mine = (await a.ledger.events(0, 10_000)).filter((e) => e.uuid === uuid).map((e) => e.type);
    assert.deepEqual(mine, ['reserved', 'spent', ...Array(59).fill('replay')]);
  });

  test('ledger refusals: tau mismatch leaves the nonce burnable, expiry, unknown; prune tombstones and forgets', async () => {
    const now = Date.now();
    const [u1, u2] = [randomUUID(), randomUUID()];
    await a.ledger.reserve(u1, 'aa'.repeat(16), now + 60_000, now);
    await a.ledger.reserve(u2, 'bb'.repeat(16), now + 10, now);
    assert.deepEqual(await b.ledger.spend(u1, 'cc'.repeat(16), now), { ok: false, reason: 'tau_mismatch' });
    assert.deepEqual(await b.ledger.spend(u1, 'aa'.repeat(16), now), { ok: true });
    assert.deepEqual(await b.ledger.spend(u2, 'bb'.repeat(16), now + 10), { ok: false, reason: 'expired' });
    assert.deepEqual(await b.ledger.spend(randomUUID(), 'bb'.repeat(16), now), { ok: false, reason: 'unknown' });
    assert.equal((await a.ledger.status(u2, now + 10))?.state, 'EXPIRED');
    assert.ok((await a.ledger.prune(now + 20, 60_000)) >= 1);
    const rows = await sql<{ state: string; tau: string | null }>(
      'SELECT state, tau FROM ledger_nonces WHERE uuid = $1',
      [u2],
    );
    assert.deepEqual(rows, [{ state: 'EXPIRED', tau: null }], 'tombstone without tau');
    await a.ledger.prune(now + 200_000, 1);
    assert.equal(await a.ledger.status(u1, now), undefined, 'spent nonce forgotten after retention');
  });

  test('the burn planned once on an empty ledger still finds its nonce by primary key when thousands are reserved', async () => {
    // What a prepared burn meets: its plan is made on the first calls, when a new ledger is empty and was never
    // analysed, and then kept for the life of the connection.
    const fresh = await freshSchema();
    const c = new pg.Client({ connectionString: fresh.url });
    await c.connect();
    try {
      for (const m of LEDGER_MIGRATIONS) await c.query(m);
      await c.query('SET plan_cache_mode = force_generic_plan');
      await c.query(`PREPARE burn (text, text, bigint) AS ${BURN}`);
      await c.query("EXECUTE burn('unknown', 'aa', 0)");
      await c.query(
        "INSERT INTO ledger_nonces SELECT gen_random_uuid()::text, md5(g::text), 'RESERVED', $1::bigint + g, NULL FROM generate_series(1, 5000) g",
        [Date.now()],
      );
      const plan = (await c.query<{ 'QUERY PLAN': string }>("EXPLAIN EXECUTE burn('unknown', 'aa', 0)")).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      assert.match(plan, /Index Scan using ledger_nonces_pkey/, plan);
      assert.doesNotMatch(plan, /ledger_nonces_state_expiry/, plan);
    } finally {
      await c.end();
      await fresh.drop();
    }
  });

  test('event feeds page in seq order with nothing skipped while replicas append concurrently', async () => {
    // Event 80 draws its seq first and commits last (see slowAppend).
    const commitSlow = await slowAppend(
      'audit_events',
      "INSERT INTO audit_events (at, actor, step, outcome) SELECT 80, 'x', 'feed-test', '80'",
    );
    const appends = Array.from({ length: 80 }, (_, i) =>
      (i % 2 ? a : b).audit.append({ at: i, actor: 'x', step: 'feed-test', outcome: String(i) }),
    );
    // Page through while the appends are in flight, then to the end.
    const seen: number[] = [];
    let after = 0;
    const page = async () => {
      for (;;) {
        const r = await a.audit.list({ after, limit: 7 });
        for (const e of r.events) if (e.step === 'feed-test') seen.push(Number(e.outcome));
        if (r.events.length > 0) after = r.events.at(-1)!.seq;
        if (r.next === null) return;
      }
    };
    // The reading includes a page after every other append committed: then at the latest it meets the slow one.
    const reading = (async () => {
      await Promise.all([page(), ...appends]);
      await page();
    })();
    await Promise.all([reading, commitSlow(reading)]);
    await page();
    assert.deepEqual(
      [...seen].sort((x, y) => x - y),
      Array.from({ length: 81 }, (_, i) => i),
      'every event seen exactly once',
    );
    const all = (await b.audit.list({ limit: 1000 })).events;
    assert.ok(all.every((e, i) => i === 0 || e.seq > all[i - 1]!.seq));
    const one = all.find((e) => e.outcome === '3')!;
    assert.equal('handle' in one, false, 'null columns are left out');
  });

  test('audit appends made together are committed together, with every value intact', async () => {
    const awkward = ['a,b', '{x}', 'say "hi"', 'back\\slash', 'NULL', 'ünï 🔑', ''];
    const entries = Array.from({ length: 30 }, (_, i) => ({
      at: 1000 + i,
      actor: `actor-${i}`,
      step: 'batch-test',
      outcome: String(i),
      ...(i % 3 === 0 ? {} : { handle: `h${i}`, detail: awkward[i % awkward.length]! }),
    }));
    await Promise.all(entries.map((e) => a.audit.append(e)));
    const stored = (await a.audit.list({ limit: 100_000 })).events.filter((e) => e.step === 'batch-test');
    // Concurrent appends commit in concurrent batches: the feed orders them by commit, not by call.
    assert.deepEqual(
      stored.map(({ seq: _, ...e }) => e).sort((x, y) => x.at - y.at),
      entries,
    );
    const rows = await sql<{ n: string }>(
      "SELECT count(DISTINCT xmin::text) AS n FROM audit_events WHERE step = 'batch-test'",
    );
    assert.ok(Number(rows[0]!.n) < entries.length, `fewer commits than appends: ${rows[0]!.n}`);
  });

  test('reservations made together commit together; a uuid already stored, or twice in the batch, is refused alone', async () => {
    const now = Date.now();
    const taken = randomUUID();
    await a.ledger.reserve(taken, 'aa'.repeat(16), now + 60_000, now);
    const twice = randomUUID();
    const fresh = Array.from({ length: 20 }, () => randomUUID());
    const calls = [...fresh, taken, twice, twice].map((uuid) =>
      a.ledger.reserve(uuid, randomBytes(16).toString('hex'), now + 60_000, now),
    );
    const outcomes = (await Promise.allSettled(calls)).map((o) => o.status);
    assert.deepEqual(outcomes, [...fresh.map(() => 'fulfilled'), 'rejected', 'fulfilled', 'rejected']);
    const mine = [...fresh, twice];
    const events = await sql<{ uuid: string }>(
      "SELECT uuid FROM ledger_events WHERE type = 'reserved' AND uuid = ANY($1) ORDER BY seq",
      [[...mine, taken]],
    );
    assert.deepEqual(events.map((e) => e.uuid).sort(), [taken, ...mine].sort(), 'one reserved event per stored nonce');
    for (const uuid of mine) assert.equal((await b.ledger.status(uuid, now))?.state, 'RESERVED');
    const commits = await sql<{ n: string }>(
      'SELECT count(DISTINCT xmin::text) AS n FROM ledger_nonces WHERE uuid = ANY($1)',
      [mine],
    );
    assert.ok(Number(commits[0]!.n) < mine.length, `fewer commits than reservations: ${commits[0]!.n}`);
  });

  test('the ledger event feed pages in seq order with nothing skipped while replicas reserve and burn concurrently', async () => {
    const now = Date.now();
    const nonces = Array.from({ length: 40 }, () => ({ uuid: randomUUID(), tau: randomBytes(16).toString('hex') }));
    let after = (await a.ledger.events(0, 100_000)).at(-1)?.seq ?? 0;
    // This one draws its seq first and commits last (see slowAppend).
    const slow = randomUUID();
    const commitSlow = await slowAppend(
      'ledger_events',
      `INSERT INTO ledger_events (at, uuid, type) SELECT 0, '${slow}', 'reserved'`,
    );
    const writes = nonces.map(async (n, i) => {
      const [x, y] = i % 2 ? [a, b] : [b, a];
      await x.ledger.reserve(n.uuid, n.tau, now + 60_000, now);
      assert.deepEqual(await y.ledger.spend(n.uuid, n.tau, Date.now()), { ok: true });
    });
    const mine = new Set<string>([slow, ...nonces.map((n) => n.uuid)]);
    const seen: string[] = [];
    const page = async () => {
      for (;;) {
        const events = await a.ledger.events(after, 7);
        for (const e of events) if (mine.has(e.uuid)) seen.push(`${e.uuid}:${e.type}`);
        if (events.length > 0) after = events.at(-1)!.seq;
        if (events.length < 7) return;
      }
    };
    // The reading includes a page after every other append committed: then at the latest it meets the slow one.
    const reading = (async () => {
      await Promise.all([page(), ...writes]);
      await page();
    })();
    await Promise.all([reading, commitSlow(reading)]);
    await page();
    const expected = [`${slow}:reserved`, ...nonces.flatMap((n) => [`${n.uuid}:reserved`, `${n.uuid}:spent`])];
    assert.deepEqual([...seen].sort(), expected.sort(), 'every event seen exactly once');
    for (const n of nonces)
      assert.ok(
        seen.indexOf(`${n.uuid}:reserved`) < seen.indexOf(`${n.uuid}:spent`),
        'a reservation precedes its burn',
      );
  });

  test('pages read at once on one replica share barriers: appends are held back by one at a time', async () => {
    const pool = new pg.Pool({ connectionString: schema.url, max: 8 });
    let barriers = 0;
    const counting = {
      query: (...args: Parameters<PgPool['query']>) => {
        if (String(args[0]).includes('pg_advisory_xact_lock(')) barriers++;
        return pool.query(...args);
      },
    } as unknown as PgPool;
    try {
      const page = feedPages<{ seq: number; outcome: string }>(counting, 'audit_events', 'seq, outcome');
      const from = Math.max(0, ...(await page(0, 100_000)).map((e) => e.seq));
      barriers = 0;
      const commitSlow = await slowAppend(
        'audit_events',
        "INSERT INTO audit_events (at, actor, step, outcome) SELECT 0, 'x', 'shared-barrier', 'slow'",
      );
      const pages = Promise.all(Array.from({ length: 20 }, () => page(from, 100)));
      await commitSlow(pages);
      for (const p of await pages)
        assert.deepEqual(
          p.map((e) => e.outcome),
          ['slow'],
          'every page waited for the append in flight',
        );
      assert.ok(barriers <= 2, `20 pages at once took ${barriers} barriers (one running, one queued at most)`);
    } finally {
      await pool.end();
    }
  });

  test('artifacts: stored in the database, shared by replicas, digest checked on write and read', async () => {
    const bytes = new Uint8Array(randomBytes(200_000));
    const sha = createHash('sha256').update(bytes).digest('hex');
    await assert.rejects(a.artifacts.put(sha, new Uint8Array(10)), /does not match/);
    await assert.rejects(a.artifacts.put('../etc/passwd', bytes), /not a lowercase SHA-256/);
    assert.equal(await b.artifacts.has(sha), false);
    await Promise.all([a.artifacts.put(sha, bytes), b.artifacts.put(sha, bytes)]);
    assert.deepEqual(await b.artifacts.get(sha), bytes);
    await sql('UPDATE artifacts SET bytes = set_byte(bytes, 4, (get_byte(bytes, 4) + 1) % 256) WHERE sha256 = $1', [
      sha,
    ]);
    await assert.rejects(a.artifacts.get(sha), ArtifactCorruptError);
  });

  test('circuits: current build, pages in byte order, revocation follows the bytes', async () => {
    const build = (handle: string, build_id: string, sha256: string, created_at: number) => ({
      handle,
      build_id,
      version: '1',
      sha256,
      kind: 'wasm' as const,
      size: 1,
      manifest: { z: 1, a: [handle] },
      created_at,
    });
    const s1 = '11'.repeat(32);
    const s2 = '22'.repeat(32);
    assert.equal(await a.circuits.insertBuild(build('beta', 'b1', s1, 1)), true);
    assert.equal(await b.circuits.insertBuild(build('beta', 'b1', s2, 2)), false);
    assert.equal(await b.circuits.insertBuild(build('beta', 'b2', s2, 3)), true);
    assert.equal(await a.circuits.insertBuild(build('Zed', 'z1', s1, 4)), true);
    assert.equal(await a.circuits.insertBuild(build('alpha', 'a1', s2, 5)), true);
    assert.equal((await a.circuits.currentBuild('beta'))?.build_id, 'b2');
    assert.deepEqual((await b.circuits.getBuild('beta', 'b1'))?.manifest, { z: 1, a: ['beta'] });
    assert.deepEqual(
      (await a.circuits.listBuilds('beta')).map((x) => x.build_id),
      ['b2', 'b1'],
    );
    const p1 = await a.circuits.listCircuits({ limit: 2 });
    assert.deepEqual(
      p1.circuits.map((c) => [c.handle, c.builds]),
      [
        ['Zed', 1],
        ['alpha', 1],
      ],
    );
    const p2 = await a.circuits.listCircuits({ after: p1.next!, limit: 2 });
    assert.deepEqual(
      p2.circuits.map((c) => c.handle),
      ['beta'],
    );
    assert.equal(p2.next, null);
    assert.equal(await b.circuits.revokeSha256(s2), 2);
    assert.equal(await a.circuits.revokeSha256(s2), 0);
    assert.equal(await a.circuits.isRevoked(s2), true);
    assert.equal((await a.circuits.getBuild('alpha', 'a1'))?.revoked, true);
    assert.equal((await a.circuits.getBuild('beta', 'b1'))?.revoked, false);
  });
});
