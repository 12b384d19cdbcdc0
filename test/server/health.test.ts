import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { version } from '../../src/version.js';
import { defer } from '../helpers/cleanup.js';
import { call, startTestRegistry } from '../helpers/registry.js';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('GET /api/health is liveness with version and uptime; /api/health/db is 200 while the store and embedded ledger answer, 503 naming both once the store is gone', async (t) => {
  const reg = await startTestRegistry({}, { t });
  const live = await call(reg.url, 'GET', '/api/health');
  assert.equal(live.status, 200);
  assert.equal(live.body.status, 'ok');
  assert.equal(live.body.version, version);
  assert.ok(Number.isInteger(live.body.uptime_s) && live.body.uptime_s >= 0);
  const ok = await call(reg.url, 'GET', '/api/health/db');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { store: 'ok', ledger: 'ok' });
  await reg.ctx.store.close(); // the SQLite handle closes under the running server
  const down = await call(reg.url, 'GET', '/api/health/db');
  assert.equal(down.status, 503);
  assert.deepEqual(down.body, { store: 'unavailable', ledger: 'unavailable' });
});

test('GET /api/health/db: 503 with ledger unavailable when the remote ledger port is closed', async (t) => {
  const reg = await startTestRegistry({ ledger: { url: `http://127.0.0.1:${await closedPort()}` } }, { t });
  const r = await call(reg.url, 'GET', '/api/health/db');
  assert.equal(r.status, 503);
  assert.deepEqual(r.body, { store: 'ok', ledger: 'unavailable' });
  assert.equal((await call(reg.url, 'GET', '/api/health')).status, 200, 'liveness does not depend on the ledger');
});

test('GET /api/health/db answers within its timeout when the remote ledger never replies', async (t) => {
  const sockets = new Set<import('node:net').Socket>();
  const silent = createServer((sock) => void sockets.add(sock)); // accepts connections, never answers
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  defer(t, async () => {
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
  const port = (silent.address() as { port: number }).port;
  const reg = await startTestRegistry({ ledger: { url: `http://127.0.0.1:${port}`, timeout_ms: 10_000 } }, { t });
  const t0 = Date.now();
  const r = await call(reg.url, 'GET', '/api/health/db');
  assert.equal(r.status, 503);
  assert.equal(r.body.ledger, 'unavailable');
  assert.ok(Date.now() - t0 < 5_000, 'the probe does not wait for the 10 s ledger timeout');
});
