import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { resolveConfig } from '../../src/config/load.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createAudit, hashActor } from '../../src/audit/audit.js';
import { createRegistry } from '../../src/app/context.js';
import { memoryAuditStore } from '../../src/storage/memory/audit.js';
import { call, startTestRegistry, tempDir } from '../helpers/registry.js';
import { freshSchema, postgresSkip } from '../helpers/services.js';

const TOKEN = 'admin-token-for-tests';
const pgSkip = await postgresSkip();
const admin = { token_sha256_hex: [createHash('sha256').update(TOKEN).digest('hex')] };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('audit trail', () => {
  test('hashActor is HMAC-SHA256 under the salt: stable, salt-dependent, never the address', () => {
    const salt = new Uint8Array(32).fill(7);
    const h = hashActor('203.0.113.9', salt);
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(h, hashActor('203.0.113.9', salt));
    assert.notEqual(h, hashActor('203.0.113.10', salt));
    assert.notEqual(h, hashActor('203.0.113.9', new Uint8Array(32).fill(8)));
    assert.notEqual(
      h,
      createHash('sha256').update('203.0.113.9').digest('hex'),
      'an unkeyed hash of an IPv4 address is brute-forced in minutes',
    );
  });

  for (const kind of ['sqlite', 'memory'] as const) {
    test(`GET /api/audit pages events for the admin token only (${kind} store)`, async (t) => {
      const reg = await startTestRegistry({ admin, ...(kind === 'memory' && { storage: { kind: 'memory' } }) }, { t });
      const actor = reg.ctx.audit.actor('198.51.100.7');
      for (let i = 0; i < 5; i++)
        await reg.ctx.audit.append({
          at: Date.now(),
          actor,
          handle: 'sixzone',
          sha256: 'ab'.repeat(32),
          nonce: `n${i}`,
          step: 'validate',
          outcome: i === 4 ? 'replay' : 'ok',
        });
      await reg.ctx.audit.append({
        at: Date.now(),
        actor,
        step: 'challenge',
        outcome: 'ok',
        detail: 'ledger embedded',
      });

      assert.equal((await call(reg.url, 'GET', '/api/audit')).status, 401);
      assert.equal((await call(reg.url, 'GET', '/api/audit', undefined, bearer('wrong'))).status, 401);
      assert.equal(
        (
          await call(reg.url, 'GET', '/api/audit', undefined, {
            authorization: createHash('sha256').update(TOKEN).digest('hex'),
          })
        ).status,
        401,
      );
      assert.equal(
        (await call(reg.url, 'GET', '/api/audit', undefined, bearer(createHash('sha256').update(TOKEN).digest('hex'))))
          .status,
        401,
        'the digest is not the token',
      );

      const p1 = await call(reg.url, 'GET', '/api/audit?limit=4', undefined, bearer(TOKEN));
      assert.equal(p1.status, 200);
      assert.equal(p1.body.events.length, 4);
      assert.deepEqual(Object.keys(p1.body.events[0]).sort(), [
        'actor',
        'at',
        'handle',
        'nonce',
        'outcome',
        'seq',
        'sha256',
        'step',
      ]);
      const p2 = await call(reg.url, 'GET', `/api/audit?after=${p1.body.next}&limit=4`, undefined, bearer(TOKEN));
      assert.equal(p2.body.next, null);
      const all = [...p1.body.events, ...p2.body.events];
      assert.deepEqual(
        all.map((e: { nonce?: string; outcome: string }) => [e.nonce, e.outcome]),
        [
          ['n0', 'ok'],
          ['n1', 'ok'],
          ['n2', 'ok'],
          ['n3', 'ok'],
          ['n4', 'replay'],
          [undefined, 'ok'],
        ],
      );
      assert.equal(all[5].detail, 'ledger embedded');
      assert.ok(all.every((e: { actor: string }) => e.actor === actor));
      assert.ok(!JSON.stringify(all).includes('198.51.100.7'));
    });
  }

  test('the audit salt is generated once into state_dir and survives a restart', (t) => {
    const dir = tempDir(t);
    const other = tempDir(t);
    const first = createAudit(memoryAuditStore(100), resolveConfig({ state_dir: dir.path })).actor('192.0.2.1');
    assert.equal(createAudit(memoryAuditStore(100), resolveConfig({ state_dir: dir.path })).actor('192.0.2.1'), first);
    assert.notEqual(
      createAudit(memoryAuditStore(100), resolveConfig({ state_dir: other.path })).actor('192.0.2.1'),
      first,
      'another registry has its own salt',
    );
  });

  test('audit.salt_hex: replicas with their own state dirs hash a client alike, and no salt file is written', (t) => {
    const a = tempDir(t);
    const b = tempDir(t);
    const salt_hex = 'c3'.repeat(32);
    const actorA = createAudit(memoryAuditStore(100), resolveConfig({ state_dir: a.path, audit: { salt_hex } })).actor(
      '192.0.2.1',
    );
    assert.equal(
      createAudit(memoryAuditStore(100), resolveConfig({ state_dir: b.path, audit: { salt_hex } })).actor('192.0.2.1'),
      actorA,
    );
    assert.equal(actorA, hashActor('192.0.2.1', Buffer.from(salt_hex, 'hex')));
    assert.equal(existsSync(join(a.path, 'audit.json')), false);
    assert.throws(
      () => resolveConfig({ audit: { salt_hex: 'abc' } }),
      /audit\.salt_hex: salt_hex must be 32 bytes hex/,
    );
  });

  for (const kind of ['sqlite', 'memory', 'postgres'] as const) {
    test(`audit.retain_days: the periodic GC deletes older events and keeps newer ones (${kind} store)`, {
      skip: kind === 'postgres' && pgSkip,
    }, async (t) => {
      const pg = kind === 'postgres' ? await freshSchema() : undefined;
      const now = Date.UTC(2026, 0, 10);
      t.mock.timers.enable({ apis: ['setInterval', 'Date'], now });
      const dir = tempDir();
      const config = resolveConfig({
        address: '127.0.0.1:0',
        state_dir: dir.path,
        storage: pg
          ? { kind, url: pg.url, pool_size: 2 }
          : kind === 'memory'
            ? { kind }
            : { kind, path: join(dir.path, 'registry.sqlite3') },
        presence: { gc_interval_seconds: 60 },
        audit: { retain_days: 2 },
      });
      const ctx = await createRegistry(config, pino({ level: 'silent' }));
      try {
        const day = 86_400_000;
        for (const [nonce, at] of [
          ['old', now - 3 * day],
          ['edge', now - 2 * day + 60_000],
          ['new', now - 1000],
        ] as const)
          await ctx.audit.append({ at, actor: 'x', nonce, step: 'challenge', outcome: 'ok' });
        const nonces = async () => (await ctx.audit.list({ limit: 10 })).events.map((e) => e.nonce);
        assert.deepEqual(await nonces(), ['old', 'edge', 'new'], 'nothing is deleted before the GC runs');
        t.mock.timers.tick(60_000); // one GC round: "edge" is exactly at the cutoff and stays (only strictly older events go)
        for (let i = 0; i < 1000 && (await nonces()).includes('old'); i++) await new Promise((r) => setImmediate(r));
        assert.deepEqual(await nonces(), ['edge', 'new']);
        t.mock.timers.tick(60_000); // a minute later "edge" is past retention too
        for (let i = 0; i < 1000 && (await nonces()).includes('edge'); i++) await new Promise((r) => setImmediate(r));
        assert.deepEqual(await nonces(), ['new']);
      } finally {
        await ctx.close();
        await pg?.drop();
        dir.remove();
      }
    });
  }

  test('with no admin token configured, /api/audit refuses everyone', async (t) => {
    const reg = await startTestRegistry({}, { t });
    assert.equal((await call(reg.url, 'GET', '/api/audit', undefined, bearer(TOKEN))).status, 401);
    assert.equal((await call(reg.url, 'GET', '/api/audit', undefined, bearer(''))).status, 401);
  });
});
