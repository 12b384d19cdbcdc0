// `npm run bench [-- --quick] [-- --only REGEX] [-- --no-postgres] [-- --no-pin]`: every figure next to a baseline measured in
// the same run (a bare Fastify route, same Node, same logger settings), as a ratio. The registry and the
// baseline each run in their own process; load comes from autocannon in this one. Writes bench/results.json.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../src/client/sixzone.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/crypto/encoding.js';
import { x25519Generate, x25519PrivateFromRaw } from '../src/crypto/x25519.js';
import { sealEnvelope, userIdOf } from '../src/directory/envelope.js';
import { EmbeddedLedger } from '../src/ledger/embedded.js';
import { packageRoot } from '../src/paths.js';
import { closeSqlite, openSqlite } from '../src/storage/sqlite/db.js';
import { sqliteLedgerStore } from '../src/storage/sqlite/ledger.js';
import { runCli, spawnCli, spawnNode, tempDir, type SpawnedRegistry } from '../test/helpers/registry.js';
import { benchExecutor } from './executor.js';
import { closedLoop, httpLoad, type Figures, type Row } from './measure.js';
import { canPin, cpuSeconds, peakRssMb, pin } from './proc.js';
import { postgresBenchStorage } from './postgres.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-postgres': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    out: { type: 'string', default: join(packageRoot, 'bench', 'results.json') },
  },
});
const SECONDS = opts.quick ? 1 : 10;
const WARMUP = opts.quick ? 0.3 : 2;
const CONNECTIONS = 16;
const LOG_LEVEL = 'warn'; // registry and baseline alike
const VALIDATE_RATE = 1000; // the rate at which validate's p99 is judged
const only = opts.only ? new RegExp(opts.only) : undefined;

// With two or more cores, autocannon keeps core 0 and a single-threaded server gets the others: its figures
// then measure the server, not how the scheduler happens to mix it with the load generator (unpinned, the same
// scenario swung between 19k and 31k req/s from run to run on a 2-core VM). The registry's proof scenarios run
// circuits on worker threads and get every core; so does in-process work.
const CPUS = availableParallelism();
const PINNING = !opts['no-pin'] && CPUS >= 2 && canPin;
const CORES = { loadgen: '0', server: `1-${CPUS - 1}`, all: `0-${CPUS - 1}` };
const place = (pid: number | undefined, where: keyof typeof CORES) => PINNING && pin(pid, CORES[where]);

/** Targets of this round: a ratio to the baseline, a rate, or a p99 (the same apply to the [postgres] rows). */
interface Target {
  text: string;
  met: (r: Row) => boolean;
  /** Judged by its ratio to the baseline (which is then measured right before it). */
  ratio?: true;
}
const atLeastRatio = (min: number): Target => ({ text: `ratio ≥ ${min}`, met: (r) => (r.ratio_to_baseline ?? 0) >= min, ratio: true });
const TARGETS: Record<string, Target> = {
  envelope_pubkey: atLeastRatio(0.7),
  check_user: atLeastRatio(0.5),
  resolve: atLeastRatio(0.3),
  register: atLeastRatio(0.15),
  'proof pair (challenge+solve+validate)': { text: '≥ 1000 pairs/s', met: (r) => r.rps >= 1000 },
  [`validate @ ${VALIDATE_RATE}/s`]: { text: 'p99 < 20 ms', met: (r) => r.p99_ms < 20 },
};
const targetOf = (scenario: string): Target | undefined => TARGETS[scenario.replace(/ \[postgres\]$/, '')];

const SECRET: SixzoneSecret = { symbols: 'BENCH42', mapping: { red: 'N', orange: 'NE', yellow: 'SE', green: 'S', blue: 'SW', violet: 'NW' } };
const HANDLE = 'bench-sixzone';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const rows: Row[] = [];
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function stop(p: SpawnedRegistry): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
}

/** Measures the baseline again; set once the baseline server runs. */
let remeasureBaseline: (() => Promise<Figures>) | undefined;

/**
 * Warm-up, then the measured run; the row records the server's peak RSS, its CPU time per request and the
 * ratio to the baseline. A scenario judged by its ratio gets a baseline measured right before it: this VM's
 * speed drifts within a run (the same baseline gave 39k and 22k req/s half an hour apart), and a ratio
 * against a figure from minutes earlier would carry that drift.
 */
async function scenario(name: string, server: SpawnedRegistry | undefined, run: (seconds: number) => Promise<Figures>): Promise<void> {
  if (only && !only.test(name) && name !== 'baseline') return;
  const adjacent = targetOf(name)?.ratio ? await remeasureBaseline?.() : undefined;
  await run(WARMUP);
  const pid = server?.child.pid;
  const before = { all: cpuSeconds(pid), main: cpuSeconds(pid, pid) };
  const started = performance.now();
  const figures = await run(SECONDS);
  const ops = (figures.rps * (performance.now() - started)) / 1000;
  const perOp = (t0: number | null, t1: number | null) => (t0 === null || t1 === null || ops === 0 ? null : Math.round(((t1 - t0) / ops) * 1e6));
  const cpu_us_per_op = perOp(before.all, cpuSeconds(pid));
  const main_thread_us_per_op = perOp(before.main, cpuSeconds(pid, pid));
  const baseline_rps = name.includes('[in-process]') ? null : (adjacent ?? rows.find((r) => r.scenario === 'baseline') ?? figures).rps;
  const ratio_to_baseline = baseline_rps === null ? null : Number((figures.rps / baseline_rps).toFixed(3));
  rows.push({ scenario: name, ...figures, rss_mb: peakRssMb(pid), cpu_us_per_op, main_thread_us_per_op, baseline_rps, ratio_to_baseline });
  const against = adjacent ? `, baseline just before ${adjacent.rps} /s` : '';
  log(`${name}: ${figures.rps} /s, p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, server CPU ${cpu_us_per_op ?? '?'} µs/op (event loop ${main_thread_us_per_op ?? '?'})${against}`);
}

const get = (path: string): autocannon.Request[] => [{ method: 'GET', path }];
const postJson = (path: string, body: unknown): autocannon.Request[] => [{ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }];

/** POST `first`, then POST `second` with a body built from the first answer: one unit of work per connection loop. */
function twoStep<T>(first: { path: string; body?: string }, second: { path: string; body: (prev: T) => string }): autocannon.Request[] {
  const headers = { 'content-type': 'application/json' };
  return [
    {
      method: 'POST',
      path: first.path,
      headers,
      ...(first.body !== undefined && { body: first.body }),
      onResponse: (_status, body, context) => void ((context as { prev?: T }).prev = JSON.parse(body) as T),
    },
    { method: 'POST', path: second.path, headers, setupRequest: (req, context) => ({ ...req, body: second.body((context as { prev: T }).prev) }) },
  ];
}

async function json<T>(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { method, headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface ChallengeReply {
  nonce_uuid: string;
  tau: string;
  challenge: SixzoneChallenge;
}

function validateBody(c: ChallengeReply): string {
  const bearings = solveSixzone(c.challenge, SECRET);
  const proof_hash = sha256(`${c.nonce_uuid}|${c.tau}|${bearings.join(',')}`);
  return JSON.stringify({ kind: 'bearings', nonce_uuid: c.nonce_uuid, payload: { tau: c.tau, bearings, proof_hash } });
}

/** A registry process on `storage`, with the operator keys from `keys gen`, limits off, one sixzone circuit published. */
async function startRegistry(dir: string, storageToml: string): Promise<SpawnedRegistry> {
  const keys = join(dir, 'keys');
  const cfg = join(dir, `registry-${randomUUID()}.toml`);
  writeFileSync(
    cfg,
    [
      'address = "127.0.0.1:0"',
      `state_dir = "${dir}"`,
      storageToml,
      '[rate_limit]\nenabled = false',
      `[log]\nlevel = "${LOG_LEVEL}"`,
      readFileSync(join(keys, 'registry-keys.toml'), 'utf8'), // envelope, sealing, receipt keys, the publisher's public key, the admin token's hash
    ].join('\n'),
  );
  // BENCH_PROFILE=DIR writes a V8 CPU profile of the registry (open it in Chrome DevTools or speedscope).
  const profile = process.env.BENCH_PROFILE;
  const reg = await spawnCli(['serve', '--config', cfg], profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profile}`] } : {});
  const published = await runCli(['circuit', 'publish', '--registry', reg.url, '--token-file', join(keys, 'admin.token'), '--dir', join(dir, 'minted')]);
  if (published.code !== 0) throw new Error(`publish failed: ${published.stderr}`);
  return reg;
}

async function directoryAndProof(label: string, reg: SpawnedRegistry, keysDir: string): Promise<void> {
  const url = reg.url;
  const suffix = label ? ` [${label}]` : '';
  const server = await json<{ kid_hex: string; x25519_public_key_hex: string }>(`${url}/envelope_pubkey`, 'GET');
  const pepperFree = { kid: hexToBytes(server.kid_hex), recipientPublic: hexToBytes(server.x25519_public_key_hex) };
  const envelopeCfg = JSON.parse(readFileSync(join(keysDir, 'envelope.key.json'), 'utf8')) as { pepper_hex: string };
  const pepper = hexToBytes(envelopeCfg.pepper_hex);
  const sender = x25519PrivateFromRaw(x25519Generate().privateKey);
  let n = 0;
  const registerBody = () => {
    const username = `bench-${process.pid}-${label}-${n++}-${randomUUID()}`;
    const handle = userIdOf(username);
    const identity = { user_id: bytesToHex(handle), username_hint: null, signing_public_key: [1, 2, 3], encryption_public_key: [4, 5, 6], signature: [7, 8, 9], created_at_ms: Date.now() };
    const envelope = sealEnvelope({ pepper, handle, ...pepperFree, sender, plaintext: utf8ToBytes(JSON.stringify(identity)) });
    return JSON.stringify({ handle: identity.user_id, envelope });
  };
  // One registered identity for check_user and resolve.
  const fixed = JSON.parse(registerBody()) as { handle: string };
  await json(`${url}/register`, 'POST', fixed);

  place(reg.child.pid, 'server');
  await scenario(`envelope_pubkey${suffix}`, reg, (s) => httpLoad({ url, connections: CONNECTIONS, seconds: s, requests: get('/envelope_pubkey') }));
  await scenario(`check_user${suffix}`, reg, (s) => httpLoad({ url, connections: CONNECTIONS, seconds: s, requests: get(`/check_user/${fixed.handle}`) }));
  await scenario(`resolve${suffix}`, reg, (s) =>
    httpLoad({ url, connections: CONNECTIONS, seconds: s, requests: postJson('/resolve', { handle: fixed.handle, requester_ephemeral_pubkey_hex: bytesToHex(sender.publicKey) }) }),
  );
  await scenario(`register${suffix}`, reg, (s) =>
    httpLoad({
      url,
      connections: CONNECTIONS,
      seconds: s,
      requests: [{ method: 'POST', path: '/register', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: registerBody() }) }],
    }),
  );

  place(reg.child.pid, 'all');
  await scenario(`proof pair (challenge+solve+validate)${suffix}`, reg, (s) =>
    httpLoad({
      url,
      connections: CONNECTIONS,
      seconds: s,
      perUnit: 2,
      requests: twoStep<ChallengeReply>({ path: `/api/circuits/${HANDLE}/challenge`, body: '{}' }, { path: `/api/circuits/${HANDLE}/validate`, body: validateBody }),
    }),
  );

  await scenario(`validate @ ${VALIDATE_RATE}/s${suffix}`, reg, async (s) => {
    // Challenges are fetched first, so that only validates are timed, at a fixed open-loop rate.
    const need = Math.ceil(VALIDATE_RATE * s * 1.2) + CONNECTIONS;
    const bodies: string[] = [];
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (bodies.length < need) bodies.push(validateBody(await json<ChallengeReply>(`${url}/api/circuits/${HANDLE}/challenge`, 'POST')));
      }),
    );
    return httpLoad({
      url,
      connections: CONNECTIONS,
      seconds: s,
      overallRate: VALIDATE_RATE,
      requests: [{ method: 'POST', path: `/api/circuits/${HANDLE}/validate`, headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: bodies.pop()! }) }],
    });
  });
}

async function main(): Promise<void> {
  const dir = tempDir('enigma-bench-');
  place(process.pid, 'loadgen');
  if (!PINNING) log(`servers and load generator are not pinned to cores (${opts['no-pin'] ? '--no-pin' : CPUS < 2 ? 'one core' : 'taskset is missing'})`);
  const started: SpawnedRegistry[] = [];
  try {
    // Operator keys, a minted circuit and an admin token, made with the real CLI.
    const keys = await runCli(['keys', 'gen', '--out', join(dir.path, 'keys')]);
    if (keys.code !== 0) throw new Error(`keys gen failed: ${keys.stderr}`);
    writeFileSync(join(dir.path, 'secret.json'), JSON.stringify(SECRET));
    const mint = await runCli([
      'circuit', 'mint', '--handle', HANDLE, '--mapping', '--sealing-key', join(dir.path, 'keys', 'sealing.pub.json'),
      '--publisher-key', join(dir.path, 'keys', 'publisher.key.json'), '--secret-file', join(dir.path, 'secret.json'), '--out', join(dir.path, 'minted'),
    ]);
    if (mint.code !== 0) throw new Error(`mint failed: ${mint.stderr}`);

    const baseline = await spawnNode(join(packageRoot, 'dist/bench/baseline-server.js'), [LOG_LEVEL]);
    started.push(baseline);
    place(baseline.child.pid, 'server');
    const loadBaseline = (s: number) => httpLoad({ url: baseline.url, connections: CONNECTIONS, seconds: s, requests: get('/baseline') });
    await scenario('baseline', baseline, loadBaseline);
    remeasureBaseline = async () => {
      await loadBaseline(WARMUP);
      return loadBaseline(SECONDS);
    };

    const sqlite = await startRegistry(dir.path, `[storage]\nkind = "sqlite"\npath = "${join(dir.path, 'bench.sqlite3')}"`);
    started.push(sqlite);
    await directoryAndProof('', sqlite, join(dir.path, 'keys'));

    // The ledger alone: embedded (function calls on a SQLite file) and as its own HTTP service.
    place(process.pid, 'all'); // in-process work: the bench process is the server
    await scenario('ledger reserve+burn [in-process]', undefined, (s) => {
      const db = openSqlite(join(dir.path, `ledger-${randomUUID()}.sqlite3`));
      const ledger = new EmbeddedLedger(sqliteLedgerStore(db), { ttlSeconds: 300, maxTtlSeconds: 3600, retainSeconds: 86_400, ping: async () => undefined });
      return closedLoop(async () => {
        const r = await ledger.reserve();
        const burn = await ledger.burn(r.uuid, r.tau);
        if (!burn.ok) throw new Error(`burn failed: ${burn.reason}`);
      }, s, 1).finally(() => closeSqlite(db));
    });
    const ledgerCfg = join(dir.path, 'ledger.toml');
    writeFileSync(ledgerCfg, `state_dir = "${dir.path}"\n[storage]\nkind = "sqlite"\npath = "${join(dir.path, 'ledger.sqlite3')}"\n[ledger]\naddress = "127.0.0.1:0"\n[log]\nlevel = "${LOG_LEVEL}"\n`);
    const ledgerSvc = await spawnCli(['ledger', '--config', ledgerCfg]);
    started.push(ledgerSvc);
    place(process.pid, 'loadgen');
    place(ledgerSvc.child.pid, 'server');
    await scenario('ledger reserve+burn over HTTP', ledgerSvc, (s) =>
      httpLoad({
        url: ledgerSvc.url,
        connections: CONNECTIONS,
        seconds: s,
        perUnit: 2,
        requests: twoStep<{ uuid: string; tau: string }>({ path: '/reserve', body: '{}' }, { path: '/response', body: (r) => JSON.stringify({ uuid: r.uuid, tau: r.tau }) }),
      }),
    );

    if (!only || only.test('executor')) {
      place(process.pid, 'all');
      for (const r of await benchExecutor({ seconds: SECONDS })) rows.push({ ...r, scenario: `executor: ${r.scenario} [in-process]`, rss_mb: null, cpu_us_per_op: null, main_thread_us_per_op: null, baseline_rps: null, ratio_to_baseline: null });
    }

    if (!opts['no-postgres']) {
      place(process.pid, 'loadgen');
      const pg = await postgresBenchStorage();
      if (!pg) log('PostgreSQL not reachable: postgres scenarios skipped');
      else {
        let reg: SpawnedRegistry | undefined;
        try {
          reg = await startRegistry(dir.path, pg.toml);
          await directoryAndProof('postgres', reg, join(dir.path, 'keys'));
        } finally {
          // The registry holds the schema's connections: stop it before the schema is dropped.
          if (reg) await stop(reg);
          await pg.drop();
        }
      }
    }
  } finally {
    await Promise.all(started.map(stop));
    dir.remove();
  }

  const table = rows.map((r) => {
    const target = targetOf(r.scenario);
    const met = target?.met(r);
    return {
      scenario: r.scenario,
      'req/s': r.rps,
      'p50 ms': r.p50_ms,
      'p99 ms': r.p99_ms,
      'rss MB': r.rss_mb ?? '',
      'cpu µs/op': r.cpu_us_per_op ?? '',
      'loop µs/op': r.main_thread_us_per_op ?? '',
      ratio: r.ratio_to_baseline ?? '',
      target: target?.text ?? '',
      met: met === undefined ? '' : met ? 'yes' : 'NO',
    };
  });
  console.table(table);
  const rss = Math.max(...rows.map((r) => r.rss_mb ?? 0));
  console.log(`peak RSS of any server process: ${rss} MB (target < 300 MB)${opts.quick ? '  [quick run: 1 s per scenario, figures are indicative only]' : ''}`);
  writeFileSync(opts.out, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`wrote ${opts.out}`);
}

await main();
