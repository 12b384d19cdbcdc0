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
import { benchIdentity, floorOf, measureFloorParts, type FloorParts } from './floor.js';
import { closedLoop, httpLoad, type Figures, type Row } from './measure.js';
import { canPin, cpuBetween, cpuByPid, cpuSeconds, peakRssMb, pin } from './proc.js';
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
// Proof pairs run ~100× fewer requests a second than directory scenarios, so V8 takes longer to optimise their
// code: perf showed its compiler threads at ~30% of a core in the first second after a 2 s warm-up, and near
// zero from the fifth on. Measured after that, the row is the steady state a long-running server has.
const PROOF_WARMUP = opts.quick ? 0.3 : 6;
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

/** Targets of this round: server CPU against the floor, a rate, or a p99 (the same apply to the [postgres] rows). */
interface Target {
  text: string;
  /** undefined: the row lacks what the target is judged on (a floor not measured for it). */
  met: (r: Row) => boolean | undefined;
  /** Judged against the baseline (which is then measured right before it). */
  ratio?: true;
}
/** Server CPU per request within `max` times the scenario's floor (see bench/floor.ts); optionally a req/s ratio too. */
const cpuToFloor = (max: number, minRatio?: number): Target => ({
  text: `cpu ≤ ${max}× floor${minRatio === undefined ? '' : `, ratio ≥ ${minRatio}`}`,
  met: (r) =>
    r.cpu_ratio_to_floor === undefined
      ? undefined
      : r.cpu_ratio_to_floor <= max && (minRatio === undefined || (r.ratio_to_baseline ?? 0) >= minRatio),
  ratio: true,
});
const TARGETS: Record<string, Target> = {
  envelope_pubkey: cpuToFloor(1.2, 0.8),
  check_user: cpuToFloor(1.6),
  resolve: cpuToFloor(1.3),
  register: cpuToFloor(1.6),
  'proof pair (challenge+solve+validate)': { text: '≥ 1000 pairs/s', met: (r) => r.rps >= 1000 },
  [`validate @ ${VALIDATE_RATE}/s`]: { text: 'p99 < 20 ms', met: (r) => r.p99_ms < 20 },
};
const targetOf = (scenario: string): Target | undefined => TARGETS[scenario.replace(/ \[postgres\]$/, '')];
/** Whether `--only` lets a scenario run (the baseline always does). */
const selected = (name: string): boolean =>
  !only || only.test(name) || name === 'baseline' || (name.startsWith('floor: ') && selected(name.slice(7)));

const SECRET: SixzoneSecret = {
  symbols: 'BENCH42',
  mapping: { red: 'N', orange: 'NE', yellow: 'SE', green: 'S', blue: 'SW', violet: 'NW' },
};
const HANDLE = 'bench-sixzone';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const rows: Row[] = [];
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function stop(p: SpawnedRegistry): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
}

interface Measured {
  figures: Figures;
  cpu_us_per_op: number | null;
  main_thread_us_per_op: number | null;
  db_cpu_us_per_op?: number | null;
}
type Load = (seconds: number) => Promise<Figures>;

/** CPU seconds of the servers together (all threads, or the event loops alone); null if any is unknown. */
function cpuOf(pids: readonly (number | undefined)[], thread: 'all' | 'main'): number | null {
  const each = pids.map((pid) => (thread === 'all' ? cpuSeconds(pid) : cpuSeconds(pid, pid)));
  return each.length === 0 || each.includes(null) ? null : each.reduce((a, b) => a! + b!, 0);
}

/** The largest peak RSS of the servers, or null if any is unknown. */
function maxRssMb(pids: readonly (number | undefined)[]): number | null {
  const rss = pids.map(peakRssMb);
  return rss.length === 0 || rss.includes(null) ? null : Math.max(...(rss as number[]));
}

/** Sums of the measured slices of one load on its servers. */
class Tally {
  private ops = 0;
  private seconds = 0;
  private cpu: number | null = 0;
  private main: number | null = 0;
  private db: number | null = 0;
  private readonly p50: number[] = [];
  private p99 = 0;
  constructor(
    private readonly pids: readonly (number | undefined)[],
    readonly run: Load,
    /** The command name of a local database server whose CPU is counted too (`postgres`). */
    private readonly dbComm?: string,
  ) {}

  async slice(seconds: number): Promise<void> {
    const pids = this.pids;
    const before = { all: cpuOf(pids, 'all'), main: cpuOf(pids, 'main'), db: this.dbComm && cpuByPid(this.dbComm) };
    const started = performance.now();
    const f = await this.run(seconds);
    const elapsed = (performance.now() - started) / 1000;
    const add = (sum: number | null, t0: number | null, t1: number | null) =>
      sum === null || t0 === null || t1 === null ? null : sum + t1 - t0;
    // The event loop's window lies inside the whole process's (read first before, last after), as its time does.
    this.main = add(this.main, before.main, cpuOf(pids, 'main'));
    this.cpu = add(this.cpu, before.all, cpuOf(pids, 'all'));
    if (this.dbComm && before.db) this.db = add(this.db, 0, cpuBetween(before.db, cpuByPid(this.dbComm)));
    this.ops += f.rps * elapsed;
    this.seconds += elapsed;
    this.p50.push(f.p50_ms);
    this.p99 = Math.max(this.p99, f.p99_ms);
  }

  /** rps over all slices; p50 the median of the slices' (exact with one slice), p99 the worst slice's. */
  result(): Measured {
    const perOp = (t: number | null) => (t === null || this.ops === 0 ? null : Math.round((t / this.ops) * 1e6));
    const p50 = [...this.p50].sort((a, b) => a - b)[Math.floor(this.p50.length / 2)] ?? 0;
    return {
      figures: { rps: Math.round(this.ops / this.seconds), p50_ms: p50, p99_ms: this.p99 },
      cpu_us_per_op: perOp(this.cpu),
      main_thread_us_per_op: perOp(this.main),
      ...(this.dbComm && { db_cpu_us_per_op: perOp(this.db) }),
    };
  }
}

/** On PostgreSQL the store's work runs in the database server, on the same cores: counted beside the registry's. */
const dbCommOf = (scenario: string) => (scenario.includes('[postgres') ? 'postgres' : undefined);

/** Warm-up, then the measured run, with the server's CPU time per request (all threads, and its event loop alone). */
async function measure(
  pids: readonly (number | undefined)[],
  run: Load,
  warmup: number,
  dbComm?: string,
): Promise<Measured> {
  await run(warmup);
  const t = new Tally(pids, run, dbComm);
  await t.slice(SECONDS);
  return t.result();
}

/**
 * A scenario and the baseline in alternating slices (ABBA ABBA, SECONDS in all for each): on a shared machine
 * the speed swings within seconds (the same route's CPU per request doubled between two runs a minute apart),
 * and slices interleaved this way see the same swings, so their ratio does not carry them.
 */
async function measureAgainstBaseline(
  scenarioTally: Tally,
  baselineTally: Tally,
): Promise<{ scenario: Measured; baseline: Measured }> {
  await baselineTally.run(WARMUP);
  await scenarioTally.run(WARMUP);
  for (const t of [
    baselineTally,
    scenarioTally,
    scenarioTally,
    baselineTally,
    baselineTally,
    scenarioTally,
    scenarioTally,
    baselineTally,
  ])
    await t.slice(SECONDS / 4);
  return { scenario: scenarioTally.result(), baseline: baselineTally.result() };
}

/** The baseline server's pid and load; set once it runs. */
let baselineLoad: { pids: (number | undefined)[]; run: Load } | undefined;
/** The unavoidable crypto and storage work, measured once per run when a directory scenario runs. */
let floorParts: FloorParts | undefined;

/** The floor server (bench/floor-server.ts) once it runs; resolve and register are then judged on a measured floor. */
let floorServer: SpawnedRegistry | undefined;
/** Scenario → CPU µs per request of the floor server under that scenario's load, measured right before it. */
const measuredFloors = new Map<string, number>();

/**
 * The row's floor: measured on the floor server when it ran for this scenario, else the baseline's CPU per
 * request plus the scenario's unavoidable parts (bench/floor.ts). The sum of parts is kept beside a measured floor.
 */
function floorFields(name: string, cpu: number | null, baselineCpu: number | null | undefined): Partial<Row> {
  const parts = floorParts && floorOf(name, floorParts);
  if (!parts || cpu === null || baselineCpu === null || baselineCpu === undefined) return {};
  const floor_parts_us = Object.fromEntries(
    Object.entries({ baseline: baselineCpu, ...parts }).map(([k, v]) => [k, Number(v.toFixed(1))]),
  );
  const partsSum = Math.round(Object.values(floor_parts_us).reduce((a, b) => a + b, 0));
  const measured = measuredFloors.get(name);
  const floor_us_per_op = measured === undefined ? partsSum : Math.round(measured);
  return {
    floor_us_per_op,
    floor_parts_us,
    ...(measured !== undefined && { floor_parts_sum_us: partsSum }),
    cpu_ratio_to_floor: Number((cpu / floor_us_per_op).toFixed(2)),
  };
}

/**
 * Warm-up, then the measured run; the row records the server's peak RSS, its CPU time per request and the
 * ratio to the baseline. A scenario judged against the baseline is measured in slices alternating with it:
 * this VM's speed drifts within a run (the same baseline gave 39k and 22k req/s half an hour apart), and a
 * ratio against a figure from minutes, or even seconds, earlier would carry that drift.
 */
async function scenario(
  name: string,
  server: SpawnedRegistry | SpawnedRegistry[] | undefined,
  run: Load,
  warmup = WARMUP,
): Promise<void> {
  if (!selected(name)) return;
  // Several servers (replicas): their CPU adds up per op, and the RSS is the largest one's.
  const pids = [server ?? []].flat().map((s) => s.child.pid);
  const dbComm = dbCommOf(name);
  const paired =
    targetOf(name)?.ratio && baselineLoad
      ? await measureAgainstBaseline(new Tally(pids, run, dbComm), new Tally(baselineLoad.pids, baselineLoad.run))
      : undefined;
  record(name, pids, paired?.scenario ?? (await measure(pids, run, warmup, dbComm)), paired?.baseline);
}

/** Adds a measured scenario's row, with its ratio to the adjacent baseline (or the run's), and logs it. */
function record(name: string, pids: readonly (number | undefined)[], measured: Measured, adjacent?: Measured): void {
  const { figures, cpu_us_per_op, main_thread_us_per_op, db_cpu_us_per_op } = measured;
  const baselineRow = rows.find((r) => r.scenario === 'baseline');
  const baseline_rps = name.includes('[in-process]') ? null : (adjacent?.figures ?? baselineRow ?? figures).rps;
  const ratio_to_baseline = baseline_rps === null ? null : Number((figures.rps / baseline_rps).toFixed(3));
  const floor = floorFields(name, cpu_us_per_op, (adjacent ?? baselineRow)?.cpu_us_per_op);
  rows.push({
    scenario: name,
    ...figures,
    rss_mb: maxRssMb(pids),
    cpu_us_per_op,
    main_thread_us_per_op,
    ...(db_cpu_us_per_op !== undefined && { db_cpu_us_per_op }),
    baseline_rps,
    ratio_to_baseline,
    ...floor,
  });
  const against = adjacent
    ? `, baseline alongside ${adjacent.figures.rps} /s at ${adjacent.cpu_us_per_op ?? '?'} µs/op`
    : '';
  const floorText =
    floor.floor_us_per_op === undefined
      ? ''
      : `, floor ${floor.floor_us_per_op} µs/op ${floor.floor_parts_sum_us === undefined ? '' : `measured (sum of parts ${floor.floor_parts_sum_us}: `}${JSON.stringify(floor.floor_parts_us)}${floor.floor_parts_sum_us === undefined ? '' : ')'} → ${floor.cpu_ratio_to_floor}× floor`;
  log(
    `${name}: ${figures.rps} /s, p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, server CPU ${cpu_us_per_op ?? '?'} µs/op (event loop ${main_thread_us_per_op ?? '?'})${db_cpu_us_per_op === undefined ? '' : `, PostgreSQL CPU ${db_cpu_us_per_op ?? '? (not local)'} µs/op`}${against}${floorText}`,
  );
}

/** The floor server under `name`'s load, right before `name` runs: its row, and the floor `name` is judged on. */
async function floorScenario(name: string, load: (url: string) => Load): Promise<void> {
  if (!floorServer || !selected(name)) return;
  const floorName = `floor: ${name}`;
  await scenario(floorName, floorServer, load(floorServer.url));
  const cpu = rows.find((r) => r.scenario === floorName)?.cpu_us_per_op;
  if (cpu !== null && cpu !== undefined) measuredFloors.set(name, cpu);
}

const get = (path: string): autocannon.Request[] => [{ method: 'GET', path }];
const postJson = (path: string, body: unknown): autocannon.Request[] => [
  { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
];

/** POST `first`, then POST `second` with a body built from the first answer: one unit of work per connection loop. */
function twoStep<T>(
  first: { path: string; body?: string },
  second: { path: string; body: (prev: T) => string },
): autocannon.Request[] {
  const headers = { 'content-type': 'application/json' };
  return [
    {
      method: 'POST',
      path: first.path,
      headers,
      ...(first.body !== undefined && { body: first.body }),
      onResponse: (status, body, context) => {
        // A refused first step would only surface as a confusing failure in the second: say what was refused.
        if (status !== 200) throw new Error(`${first.path} answered ${status}: ${body.slice(0, 300)}`);
        (context as { prev?: T }).prev = JSON.parse(body) as T;
      },
    },
    {
      method: 'POST',
      path: second.path,
      headers,
      setupRequest: (req, context) => ({ ...req, body: second.body((context as { prev: T }).prev) }),
    },
  ];
}

async function json<T>(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
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

/**
 * A registry process on `storage`, with the operator keys from `keys gen`, limits off, one sixzone circuit
 * published (unless `publishCircuit` is false: a further replica of a store that has it).
 */
async function startRegistry(dir: string, storageToml: string, publishCircuit = true): Promise<SpawnedRegistry> {
  const keys = join(dir, 'keys');
  const cfg = join(dir, `registry-${randomUUID()}.toml`);
  writeFileSync(
    cfg,
    [
      'address = "127.0.0.1:0"',
      `state_dir = "${dir}"`,
      storageToml,
      '[rate_limit]\nenabled = false',
      // The guessing budget counts answers in flight until their verdict: the bench's parallel right answers
      // from one address at one handle would otherwise lock that address out and make challenges cost PoW.
      '[proof]\nlockout_after = 1000000\npow_free_failures = 1000000\nguesses_per_hour = 1000000000',
      `[log]\nlevel = "${LOG_LEVEL}"`,
      readFileSync(join(keys, 'registry-keys.toml'), 'utf8'), // envelope, sealing, receipt keys, the publisher's public key, the admin token's hash
    ].join('\n'),
  );
  // BENCH_PROFILE=DIR writes a V8 CPU profile of the registry (open it in Chrome DevTools or speedscope).
  const profile = process.env.BENCH_PROFILE;
  const reg = await spawnCli(
    ['serve', '--config', cfg],
    profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profile}`] } : {},
  );
  if (!publishCircuit) return reg;
  const published = await runCli([
    'circuit',
    'publish',
    '--registry',
    reg.url,
    '--token-file',
    join(keys, 'admin.token'),
    '--dir',
    join(dir, 'minted'),
  ]);
  if (published.code !== 0) throw new Error(`publish failed: ${published.stderr}`);
  return reg;
}

const DIRECTORY_SCENARIOS = ['envelope_pubkey', 'check_user', 'resolve', 'register'];
const PROOF_PAIR = 'proof pair (challenge+solve+validate)';

/** Proof pairs on one registry: challenge, solve, validate per connection loop. */
const proofPairs = (url: string, connections: number, seconds: number) =>
  httpLoad({
    url,
    connections,
    seconds,
    perUnit: 2,
    requests: twoStep<ChallengeReply>(
      { path: `/api/circuits/${HANDLE}/challenge`, body: '{}' },
      { path: `/api/circuits/${HANDLE}/validate`, body: validateBody },
    ),
  });

/** Proof pairs with the connections split evenly over replicas: pairs/s add up; p50 and p99 are the worst replica's. */
async function proofPairsOver(urls: string[], seconds: number): Promise<Figures> {
  const each = await Promise.all(
    urls.map((url) => proofPairs(url, Math.max(1, Math.round(CONNECTIONS / urls.length)), seconds)),
  );
  return {
    rps: each.reduce((n, f) => n + f.rps, 0),
    p50_ms: Math.max(...each.map((f) => f.p50_ms)),
    p99_ms: Math.max(...each.map((f) => f.p99_ms)),
  };
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
    const identity = benchIdentity(bytesToHex(handle));
    const envelope = sealEnvelope({
      pepper,
      handle,
      ...pepperFree,
      sender,
      plaintext: utf8ToBytes(JSON.stringify(identity)),
    });
    return JSON.stringify({ handle: identity.user_id, envelope });
  };
  // One registered identity for check_user and resolve.
  const fixed = JSON.parse(registerBody()) as { handle: string };
  if (!floorParts && DIRECTORY_SCENARIOS.some((n) => !only || only.test(n))) {
    const identityBytes = Buffer.byteLength(JSON.stringify(benchIdentity(fixed.handle)));
    floorParts = await measureFloorParts({
      dir: keysDir,
      seconds: opts.quick ? 0.3 : 2,
      identityBytes,
      inFlight: CONNECTIONS,
    });
    log(
      `floor parts (CPU µs/op in this process): ${JSON.stringify(floorParts, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(1)) : v))}`,
    );
  }
  await json(`${url}/register`, 'POST', fixed);

  place(reg.child.pid, 'server');
  await scenario(`envelope_pubkey${suffix}`, reg, (s) =>
    httpLoad({ url, connections: CONNECTIONS, seconds: s, requests: get('/envelope_pubkey') }),
  );
  await scenario(`check_user${suffix}`, reg, (s) =>
    httpLoad({ url, connections: CONNECTIONS, seconds: s, requests: get(`/check_user/${fixed.handle}`) }),
  );
  const resolveLoad = (target: string) => (s: number) =>
    httpLoad({
      url: target,
      connections: CONNECTIONS,
      seconds: s,
      requests: postJson('/resolve', {
        handle: fixed.handle,
        requester_ephemeral_pubkey_hex: bytesToHex(sender.publicKey),
      }),
    });
  const registerLoad = (target: string) => (s: number) =>
    httpLoad({
      url: target,
      connections: CONNECTIONS,
      seconds: s,
      requests: [
        {
          method: 'POST',
          path: '/register',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: registerBody() }),
        },
      ],
    });
  await floorScenario(`resolve${suffix}`, resolveLoad);
  await scenario(`resolve${suffix}`, reg, resolveLoad(url));
  // The floor server writes to SQLite: it is the floor of the SQLite register only.
  if (!label) await floorScenario('register', registerLoad);
  await scenario(`register${suffix}`, reg, registerLoad(url));

  place(reg.child.pid, 'all');
  await scenario(`${PROOF_PAIR}${suffix}`, reg, (s) => proofPairs(url, CONNECTIONS, s), PROOF_WARMUP);

  // Challenges are fetched first, for the warm-up and the measured run together, so that only validates are
  // timed, at a fixed open-loop rate. Fetched inside each run, their CPU was counted as the validates' own
  // (about 1.2 challenges per validate), and the burst of ~12k challenges ended right as the measured slice began.
  const validateScenario = `validate @ ${VALIDATE_RATE}/s${suffix}`;
  const bodies: string[] = [];
  if (selected(validateScenario)) {
    // autocannon's rate is a budget per whole second: a 0.3 s warm-up may send a full second's worth.
    const need = Math.ceil(VALIDATE_RATE * (Math.ceil(WARMUP) + Math.ceil(SECONDS)) * 1.2) + 2 * CONNECTIONS;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (bodies.length < need)
          bodies.push(validateBody(await json<ChallengeReply>(`${url}/api/circuits/${HANDLE}/challenge`, 'POST')));
      }),
    );
  }
  await scenario(validateScenario, reg, (s) =>
    httpLoad({
      url,
      connections: CONNECTIONS,
      seconds: s,
      overallRate: VALIDATE_RATE,
      requests: [
        {
          method: 'POST',
          path: `/api/circuits/${HANDLE}/validate`,
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            const body = bodies.pop();
            if (body === undefined) throw new Error('validate: more requests than challenges fetched');
            return { ...req, body };
          },
        },
      ],
    }),
  );
}

/** The scale-out comparison's rows: SQLite, one PostgreSQL replica, two (see scaleOut). */
const SCALE_OUT = [
  `${PROOF_PAIR} [sqlite, alternating]`,
  `${PROOF_PAIR} [postgres, alternating]`,
  `${PROOF_PAIR} [postgres, 2 replicas]`,
];

/**
 * Proof pairs on SQLite, on one PostgreSQL replica and on two, in alternating slices (ABCCBA twice, SECONDS in
 * all for each), for the scale-out ratios. Taken from the scenarios' own rows, measured minutes apart, the
 * ratio carried the VM's drift: the same build's PostgreSQL/SQLite ratio ranged 0.67-0.96 over one day.
 */
async function scaleOut(sqlite: SpawnedRegistry, replicas: SpawnedRegistry[]): Promise<void> {
  const loads = [[sqlite], replicas.slice(0, 1), replicas].map((servers, i) => {
    const pids = servers.map((r) => r.child.pid);
    const run = (s: number) =>
      proofPairsOver(
        servers.map((r) => r.url),
        s,
      );
    const name = SCALE_OUT[i]!;
    return { name, pids, tally: new Tally(pids, run, dbCommOf(name)) };
  });
  // The second replica has served nothing yet, and SQLite ran no proof pair when --only left them out.
  for (const l of loads) await l.tally.run(PROOF_WARMUP);
  for (const i of [0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0]) await loads[i]!.tally.slice(SECONDS / 4);
  for (const l of loads) record(l.name, l.pids, l.tally.result());
}

/**
 * The scale-out targets, from the alternating slices of scaleOut: PostgreSQL proof pairs at least 0.8× SQLite's,
 * and two replicas at least as fast as one (the CPU, not a lock, must be the ceiling).
 */
function printScaleOut(): void {
  const row = (name: string) => rows.find((r) => r.scenario === name);
  // What a pair costs the machine: the registry's CPU, and on PostgreSQL the database server's beside it.
  const cpu = (r: Row) => {
    if (r.cpu_us_per_op == null || r.db_cpu_us_per_op === null) return '';
    return r.db_cpu_us_per_op === undefined
      ? `${r.cpu_us_per_op}`
      : `${r.cpu_us_per_op} + ${r.db_cpu_us_per_op} = ${r.cpu_us_per_op + r.db_cpu_us_per_op}`;
  };
  const [sqlite, one, two] = SCALE_OUT.map(row);
  if (!sqlite || !one || !two) return;
  const ratio = (a: Row, b: Row) => Number((a.rps / b.rps).toFixed(2));
  const line = (label: string, r: Row, vsSqlite?: number, vsOne?: number, target?: { text: string; met: boolean }) => ({
    'proof pairs': label,
    'pairs/s': r.rps,
    'CPU µs/pair (registry + db)': cpu(r),
    'vs SQLite': vsSqlite ?? '',
    'vs 1 replica': vsOne ?? '',
    target: target?.text ?? '',
    met: target ? (target.met ? 'yes' : 'NO') : '',
  });
  const [oneVsSqlite, twoVsOne] = [ratio(one, sqlite), ratio(two, one)];
  console.log('proof pairs, scale-out (SQLite, 1 and 2 PostgreSQL replicas in alternating slices):');
  console.table([
    line('SQLite', sqlite),
    line('PostgreSQL, 1 replica', one, oneVsSqlite, undefined, { text: '≥ 0.8 × SQLite', met: oneVsSqlite >= 0.8 }),
    line('PostgreSQL, 2 replicas', two, ratio(two, sqlite), twoVsOne, { text: '≥ 1 × 1 replica', met: twoVsOne >= 1 }),
  ]);
}

async function main(): Promise<void> {
  const dir = tempDir('enigma-bench-');
  place(process.pid, 'loadgen');
  if (!PINNING)
    log(
      `servers and load generator are not pinned to cores (${opts['no-pin'] ? '--no-pin' : CPUS < 2 ? 'one core' : 'taskset is missing'})`,
    );
  const started: SpawnedRegistry[] = [];
  try {
    // Operator keys, a minted circuit and an admin token, made with the real CLI.
    const keys = await runCli(['keys', 'gen', '--out', join(dir.path, 'keys')]);
    if (keys.code !== 0) throw new Error(`keys gen failed: ${keys.stderr}`);
    writeFileSync(join(dir.path, 'secret.json'), JSON.stringify(SECRET));
    const mint = await runCli([
      'circuit',
      'mint',
      '--handle',
      HANDLE,
      '--mapping',
      '--sealing-key',
      join(dir.path, 'keys', 'sealing.pub.json'),
      '--publisher-key',
      join(dir.path, 'keys', 'publisher.key.json'),
      '--secret-file',
      join(dir.path, 'secret.json'),
      '--out',
      join(dir.path, 'minted'),
    ]);
    if (mint.code !== 0) throw new Error(`mint failed: ${mint.stderr}`);

    const baseline = await spawnNode(join(packageRoot, 'dist/bench/baseline-server.js'), [LOG_LEVEL]);
    started.push(baseline);
    place(baseline.child.pid, 'server');
    const loadBaseline = (s: number) =>
      httpLoad({ url: baseline.url, connections: CONNECTIONS, seconds: s, requests: get('/baseline') });
    await scenario('baseline', baseline, loadBaseline);
    baselineLoad = { pids: [baseline.child.pid], run: loadBaseline };
    if (['resolve', 'register'].some(selected)) {
      floorServer = await spawnNode(join(packageRoot, 'dist/bench/floor-server.js'), [
        LOG_LEVEL,
        join(dir.path, 'keys'),
        dir.path,
      ]);
      started.push(floorServer);
      place(floorServer.child.pid, 'server');
    }

    const sqlite = await startRegistry(
      dir.path,
      `[storage]\nkind = "sqlite"\npath = "${join(dir.path, 'bench.sqlite3')}"`,
    );
    started.push(sqlite);
    await directoryAndProof('', sqlite, join(dir.path, 'keys'));

    // The ledger alone: embedded (function calls on a SQLite file) and as its own HTTP service.
    place(process.pid, 'all'); // in-process work: the bench process is the server
    await scenario('ledger reserve+burn [in-process]', undefined, (s) => {
      const db = openSqlite(join(dir.path, `ledger-${randomUUID()}.sqlite3`));
      const ledger = new EmbeddedLedger(sqliteLedgerStore(db), {
        ttlSeconds: 300,
        maxTtlSeconds: 3600,
        retainSeconds: 86_400,
        ping: async () => undefined,
      });
      return closedLoop(
        async () => {
          const r = await ledger.reserve();
          const burn = await ledger.burn(r.uuid, r.tau);
          if (!burn.ok) throw new Error(`burn failed: ${burn.reason}`);
        },
        s,
        1,
      ).finally(() => closeSqlite(db));
    });
    const ledgerCfg = join(dir.path, 'ledger.toml');
    writeFileSync(
      ledgerCfg,
      `state_dir = "${dir.path}"\n[storage]\nkind = "sqlite"\npath = "${join(dir.path, 'ledger.sqlite3')}"\n[ledger]\naddress = "127.0.0.1:0"\n[log]\nlevel = "${LOG_LEVEL}"\n`,
    );
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
        requests: twoStep<{ uuid: string; tau: string }>(
          { path: '/reserve', body: '{}' },
          { path: '/response', body: (r) => JSON.stringify({ uuid: r.uuid, tau: r.tau }) },
        ),
      }),
    );

    if (!only || only.test('executor')) {
      place(process.pid, 'all');
      for (const r of await benchExecutor({ seconds: SECONDS }))
        rows.push({
          ...r,
          scenario: `executor: ${r.scenario} [in-process]`,
          rss_mb: null,
          cpu_us_per_op: null,
          main_thread_us_per_op: null,
          baseline_rps: null,
          ratio_to_baseline: null,
        });
    }

    if (!opts['no-postgres']) {
      place(process.pid, 'loadgen');
      const pg = await postgresBenchStorage();
      if (!pg) log('PostgreSQL not reachable: postgres scenarios skipped');
      else {
        const replicas: SpawnedRegistry[] = [];
        try {
          const reg = await startRegistry(dir.path, pg.toml);
          replicas.push(reg);
          await directoryAndProof('postgres', reg, join(dir.path, 'keys'));
          // Scale-out: a second replica on the same schema, the load split over both, measured beside SQLite.
          if (!only || SCALE_OUT.some((name) => only.test(name))) {
            replicas.push(await startRegistry(dir.path, pg.toml, false));
            for (const r of replicas) place(r.child.pid, 'all');
            await scaleOut(sqlite, replicas);
          }
        } finally {
          // The registries hold the schema's connections: stop them before the schema is dropped.
          await Promise.all(replicas.map(stop));
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
      'db µs/op': r.db_cpu_us_per_op ?? '',
      'floor µs/op': r.floor_us_per_op ?? '',
      'parts µs/op': r.floor_parts_sum_us ?? '',
      'cpu/floor': r.cpu_ratio_to_floor ?? '',
      ratio: r.ratio_to_baseline ?? '',
      target: target?.text ?? '',
      met: met === undefined ? (target ? 'n/a' : '') : met ? 'yes' : 'NO',
    };
  });
  console.table(table);
  printScaleOut();
  const rss = Math.max(...rows.map((r) => r.rss_mb ?? 0));
  console.log(
    `peak RSS of any server process: ${rss} MB (target < 300 MB)${opts.quick ? '  [quick run: 1 s per scenario, figures are indicative only]' : ''}`,
  );
  writeFileSync(opts.out, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`wrote ${opts.out}`);
}

await main();
