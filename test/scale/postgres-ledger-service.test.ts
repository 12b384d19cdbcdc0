// The standalone ledger service on PostgreSQL: same store code as the registry's embedded ledger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { resolveConfig } from '../../src/config/load.js';
import { startLedgerService } from '../../src/ledger/service.js';
import { defer } from '../helpers/cleanup.js';
import { call, tempDir } from '../helpers/registry.js';
import { freshSchema, postgresSkip } from '../helpers/services.js';

test('enigma-registry ledger serves from PostgreSQL: reserve, burn once, replay refused', {
  skip: await postgresSkip(),
}, async (t) => {
  const schema = await freshSchema();
  defer(t, () => schema.drop());
  const dir = tempDir(t);
  const config = resolveConfig({
    state_dir: dir.path,
    storage: { kind: 'postgres', url: schema.url },
    ledger: { address: '127.0.0.1:0' },
  });
  const svc = await startLedgerService(config, pino({ level: 'silent' }));
  defer(t, () => svc.close());
  const r = await call<{ uuid: string; tau: string }>(svc.url, 'POST', '/reserve', {});
  assert.equal(r.status, 200);
  assert.equal((await call(svc.url, 'POST', '/response', { uuid: r.body.uuid, tau: r.body.tau })).status, 200);
  const replay = await call(svc.url, 'POST', '/response', { uuid: r.body.uuid, tau: r.body.tau });
  assert.equal(replay.status, 409);
  assert.equal(replay.body.error.code, 'REPLAY');
});
