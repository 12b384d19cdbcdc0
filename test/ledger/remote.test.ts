import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../src/errors.js';
import pino from 'pino';
import { resolveConfig } from '../../src/config/load.js';
import { HttpLedger } from '../../src/ledger/http-client.js';
import { startLedgerService } from '../../src/ledger/service.js';
import { defer } from '../helpers/cleanup.js';
import { ManualClock } from '../helpers/clock.js';
import { EMBEDDED_LEDGER, ledgerById, pickLedger } from '../../src/ledger/pick.js';
import { call, spawnCli, startTestRegistry, tempDir, type SpawnedRegistry } from '../helpers/registry.js';

/** A TCP listener that counts connections: the proof that a refused URL caused no request. */
async function countingListener(): Promise<{
  url: string;
  connections: () => number;
  probe(): Promise<void>;
  close(): Promise<void>;
}> {
  let n = 0;
  const server: Server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => n,
    // Connects once and resolves when the listener has accepted it: connections are accepted in arrival
    // order, so any earlier attempt has been counted by then.
    probe: async () => {
      const seen = new Promise((r) => server.once('connection', r));
      connect(port, '127.0.0.1').on('error', () => undefined);
      await seen;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('standalone `enigma-registry ledger` used by the registry through ledger.url', () => {
  const dir = tempDir();
  let ledgerProc: SpawnedRegistry;
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  let other: Awaited<ReturnType<typeof startTestRegistry>>;
  let trap: Awaited<ReturnType<typeof countingListener>>;

  before(async () => {
    const config = join(dir.path, 'ledger.toml');
    writeFileSync(
      config,
      `state_dir = "${dir.path}"\n[storage]\nkind = "sqlite"\npath = "${join(dir.path, 'ledger.sqlite3')}"\n[ledger]\naddress = "127.0.0.1:0"\n[log]\nlevel = "warn"\n`,
    );
    ledgerProc = await spawnCli(['ledger', '--config', config]);
    trap = await countingListener();
    reg = await startTestRegistry({ ledger: { url: ledgerProc.url } });
    // A registry on its embedded ledger that allows the standalone one by header.
    other = await startTestRegistry({ ledger: { allowed_urls: [`${ledgerProc.url}/`] } });
  });
  after(async () => {
    await reg?.close();
    await other?.close();
    await trap?.close();
    ledgerProc?.child.kill('SIGKILL');
    dir.remove();
  });

  test('the service prints its status line and answers its own routes', async () => {
    assert.match(ledgerProc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual((await call(ledgerProc.url, 'GET', '/health')).body, { status: 'ok' });
    const r = await call(ledgerProc.url, 'POST', '/reserve', { ttl: 30 });
    assert.equal(r.status, 200);
    assert.equal((await call(ledgerProc.url, 'GET', `/status/${r.body.uuid}`)).body.state, 'RESERVED');
  });

  test('the registry reserves and burns at the remote ledger; outcomes map back exactly', async () => {
    const ledger = reg.ctx.ledger;
    assert.ok(ledger instanceof HttpLedger);
    const r = await ledger.reserve({ ttlSeconds: 60 });
    assert.equal(r.ttl, 60);
    // The nonce lives in the standalone process, not in the registry.
    assert.equal((await call(ledgerProc.url, 'GET', `/status/${r.uuid}`)).body.state, 'RESERVED');
    assert.deepEqual(await ledger.burn(r.uuid, 'a'.repeat(32)), { ok: false, reason: 'tau_mismatch' });
    assert.deepEqual(await ledger.burn(r.uuid, r.tau), { ok: true });
    assert.deepEqual(await ledger.burn(r.uuid, r.tau), { ok: false, reason: 'replay' });
    assert.deepEqual(await ledger.burn('2b1f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', r.tau), {
      ok: false,
      reason: 'unknown',
    });
    assert.equal((await ledger.status(r.uuid))?.state, 'SPENT');
    assert.equal(await ledger.status('2b1f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'), undefined);
    const feed = await ledger.events({ limit: 1000 });
    assert.ok(feed.events.some((e) => e.uuid === r.uuid && e.type === 'spent'));
    await ledger.ping();
    // The registry does not serve somebody else's ledger under /api/ledger.
    assert.equal((await call(reg.url, 'POST', '/api/ledger/reserve', {})).status, 404);
    assert.deepEqual((await call(reg.url, 'GET', '/api/health/db')).body, { store: 'ok', ledger: 'ok' });
  });

  test('a ledger request the remote refuses surfaces as BAD_GATEWAY, not as a burn outcome', async () => {
    await assert.rejects(
      reg.ctx.ledger.reserve({ ttlSeconds: 999_999 }),
      (e: unknown) => e instanceof ApiError && e.code === 'BAD_GATEWAY',
    );
    await assert.rejects(
      reg.ctx.ledger.burn('not-a-uuid', 'x'),
      (e: unknown) => e instanceof ApiError && e.code === 'BAD_GATEWAY',
    );
  });

  test('pickLedger: no header → the default; a listed URL (any spelling of it) → that ledger, bound by id', async () => {
    const def = pickLedger(other.ctx, undefined);
    assert.equal(def.id, EMBEDDED_LEDGER);
    assert.equal(def.ledger, other.ctx.ledger);
    assert.equal(pickLedger(reg.ctx, undefined).id, ledgerProc.url);

    const picked = pickLedger(other.ctx, ledgerProc.url.replace('http://', 'HTTP://'));
    assert.equal(picked.id, ledgerProc.url);
    const r = await picked.ledger.reserve();
    assert.equal((await call(ledgerProc.url, 'GET', `/status/${r.uuid}`)).body.state, 'RESERVED');
    // Validate later resolves the bound id to the same ledger and burns there.
    assert.deepEqual(await ledgerById(other.ctx, picked.id).ledger.burn(r.uuid, r.tau), { ok: true });
    assert.equal(ledgerById(other.ctx, EMBEDDED_LEDGER).ledger, other.ctx.ledger);
  });

  test('pickLedger refuses anything not listed with 400 INVALID_INPUT, and no request leaves the server', async () => {
    const port = new URL(trap.url).port;
    const listed = new URL(ledgerProc.url);
    const attempts: Array<string | string[]> = [
      trap.url,
      `${trap.url}/`,
      `http://localhost:${port}`,
      `http://${listed.host}@127.0.0.1:${port}`,
      `${ledgerProc.url}/../x`.replace('/../x', `@127.0.0.1:${port}`),
      `${ledgerProc.url}/other`,
      `${ledgerProc.url}?redirect=${trap.url}`,
      `ftp://127.0.0.1:${port}`,
      'embedded',
      'not a url',
      [ledgerProc.url, trap.url],
    ];
    for (const header of attempts) {
      assert.throws(
        () => pickLedger(other.ctx, header),
        (e: unknown) => e instanceof ApiError && e.code === 'INVALID_INPUT' && e.status === 400,
        `accepted ${String(header)}`,
      );
    }
    assert.throws(
      () => ledgerById(other.ctx, trap.url),
      (e: unknown) => e instanceof ApiError && e.status === 400,
    );
    assert.throws(
      () => ledgerById(reg.ctx, EMBEDDED_LEDGER),
      (e: unknown) => e instanceof ApiError && e.status === 400,
    );
    await trap.probe();
    assert.equal(trap.connections(), 1, 'only the probe connected');
  });

  test('an expired nonce at the remote ledger maps back to `expired` (an in-process service on a manual clock)', async (t) => {
    const clock = new ManualClock();
    const config = resolveConfig({
      state_dir: dir.path,
      storage: { kind: 'memory' },
      ledger: { address: '127.0.0.1:0' },
    });
    const service = await startLedgerService(config, pino({ level: 'silent' }), clock);
    defer(t, () => service.close());
    const ledger = new HttpLedger(service.url, 10_000);
    const short = await ledger.reserve({ ttlSeconds: 1 });
    clock.advance(999);
    assert.equal((await ledger.status(short.uuid))?.state, 'RESERVED');
    clock.advance(1);
    assert.deepEqual(await ledger.burn(short.uuid, short.tau), { ok: false, reason: 'expired' });
    assert.equal((await ledger.status(short.uuid))?.state, 'EXPIRED');
  });

  test('SIGTERM stops the service cleanly (exit 0)', async () => {
    ledgerProc.child.kill('SIGTERM');
    assert.equal(await ledgerProc.exited, 0);
  });
});
