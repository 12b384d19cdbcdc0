// `npm run bench -- --quick` as a test, so the benchmark cannot rot: every scenario must run and produce
// figures. The figures themselves are not judged here (a loaded test machine says nothing about speed).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Row } from '../../bench/measure.js';
import { CLOCK_TICKS } from '../../bench/proc.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir } from '../helpers/registry.js';
import { spawnSync } from 'node:child_process';

test('npm run bench -- --quick runs every scenario and writes results.json', { timeout: 240_000 }, (t) => {
  const dir = tempDir(t);
  const out = join(dir.path, 'results.json');
  const r = spawnSync(process.execPath, [join(packageRoot, 'dist/bench/run.js'), '--quick', '--out', out], {
    cwd: packageRoot,
    encoding: 'utf8',
    timeout: 230_000,
  });
  assert.equal(r.status, 0, `bench failed:\n${r.stderr}\n${r.stdout}`);
  const rows = JSON.parse(readFileSync(out, 'utf8')) as Row[];
  const names = rows.map((x) => x.scenario);
  for (const expected of [
    'baseline',
    'envelope_pubkey',
    'check_user',
    'floor: resolve',
    'resolve',
    'floor: register',
    'register',
    'proof pair (challenge+solve+validate)',
    'validate @ 1000/s',
    'ledger reserve+burn [in-process]',
    'ledger reserve+burn over HTTP',
  ])
    assert.ok(names.includes(expected), `missing scenario ${expected} in ${names.join(', ')}`);
  assert.ok(
    names.some((n) => n.startsWith('executor: wasm')),
    'executor wasm scenario',
  );
  // With PostgreSQL reachable, the scale-out row and its comparison with one replica and SQLite.
  if (names.includes('proof pair (challenge+solve+validate) [postgres]')) {
    // The scale-out ratios come from SQLite, one replica and two measured in alternating slices.
    for (const store of ['sqlite, alternating', 'postgres, alternating', 'postgres, 2 replicas'])
      assert.ok(names.includes(`proof pair (challenge+solve+validate) [${store}]`), `scale-out row [${store}]`);
    assert.match(r.stdout, /alternating slices/);
    assert.match(r.stdout, /PostgreSQL, 2 replicas/);
    // The database server runs on this machine here: its CPU per op is counted beside the registry's.
    // Every proof pair writes to it; envelope_pubkey never touches it, so it may read 0.
    for (const row of rows.filter((x) => x.scenario.includes('[postgres')))
      assert.equal(typeof row.db_cpu_us_per_op, 'number', `${row.scenario}: no PostgreSQL CPU figure`);
    for (const row of rows.filter((x) => x.scenario.startsWith('proof pair') && x.scenario.includes('[postgres')))
      assert.ok(row.db_cpu_us_per_op! > 0, `${row.scenario}: PostgreSQL spent no CPU on proof pairs`);
  }
  for (const row of rows.filter((x) => !x.scenario.includes('[postgres')))
    assert.equal(row.db_cpu_us_per_op, undefined, `${row.scenario}: a database CPU figure without PostgreSQL`);
  for (const row of rows) {
    assert.ok(row.rps > 0, `${row.scenario} measured nothing`);
    assert.ok(row.p99_ms >= row.p50_ms, `${row.scenario} percentiles out of order`);
    if (row.scenario.includes('[in-process]')) continue;
    if (row.scenario !== 'baseline') assert.ok((row.ratio_to_baseline ?? 0) > 0, `${row.scenario} has no ratio`);
    assert.equal(
      row.ratio_to_baseline,
      Number((row.rps / row.baseline_rps!).toFixed(3)),
      `${row.scenario}: the ratio is taken against its recorded baseline`,
    );
    // Read from /proc: a server that answered spent CPU, and its event loop is part of the whole. Both are
    // whole clock ticks, each truncated on its own, so a process's event loop may read one tick above the whole
    // per slice: 4 ticks over a row's requests (at most 4 slices of --quick's 1 s). Where that could matter, the
    // event loop is nearly all of one process's CPU; two replicas' loops are far below their whole.
    assert.ok((row.cpu_us_per_op ?? 0) > 0, `${row.scenario} has no CPU time per request`);
    const tickSlack = (4 * 1e6) / CLOCK_TICKS / row.rps;
    assert.ok(
      (row.main_thread_us_per_op ?? 0) > 0 && row.main_thread_us_per_op! <= row.cpu_us_per_op! + tickSlack,
      `${row.scenario}: event-loop CPU ${row.main_thread_us_per_op} vs ${row.cpu_us_per_op} (+${tickSlack.toFixed(1)})`,
    );
  }
  // The directory rows carry their floor: the adjacent baseline's CPU plus the parts the scenario cannot avoid,
  // or, for resolve and register, the floor server's CPU under the same load (with the sum of parts beside it).
  const parts: Record<string, string[]> = {
    envelope_pubkey: [],
    check_user: [],
    resolve: ['x25519', 'aead_x2'],
    register: ['x25519', 'aead_x2', 'durable_write'],
  };
  for (const [name, unavoidable] of Object.entries(parts)) {
    const row = rows.find((x) => x.scenario === name)!;
    assert.deepEqual(Object.keys(row.floor_parts_us ?? {}), ['baseline', ...unavoidable], `${name}: floor parts`);
    assert.ok(
      Object.values(row.floor_parts_us!).every((us) => us > 0),
      `${name}: a floor part measured nothing`,
    );
    const sum = Math.round(Object.values(row.floor_parts_us!).reduce((a, b) => a + b, 0));
    const measured = rows.find((x) => x.scenario === `floor: ${name}`)?.cpu_us_per_op;
    if (unavoidable.length === 0) {
      assert.equal(measured, undefined, `${name}: no floor server row`);
      assert.equal(row.floor_us_per_op, sum, `${name}: floor is the sum of its parts`);
    } else {
      assert.equal(row.floor_us_per_op, Math.round(measured!), `${name}: floor is the floor server's CPU`);
      assert.equal(row.floor_parts_sum_us, sum, `${name}: the sum of parts is kept beside it`);
    }
    assert.equal(
      row.cpu_ratio_to_floor,
      Number((row.cpu_us_per_op! / row.floor_us_per_op!).toFixed(2)),
      `${name}: ratio to its floor`,
    );
  }
  assert.match(r.stdout, /cpu\/floor/);
  assert.match(r.stdout, /ratio/);
  assert.match(r.stdout, /peak RSS/);
});
