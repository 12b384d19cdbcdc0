import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Executor, type Artifact } from '../../src/executor/index.js';
import { systemSkip } from '../helpers/system.js';
import { until } from '../helpers/clock.js';
import { artifact, config } from './helpers.js';

const skip = systemSkip('native sandbox', ['bwrap', 'prlimit', 'gcc']);
// tsc does not copy .c files: read the source next to the compiled test's source.
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '../../../test/executor/fixtures/hostile.c');

let dir: string;
let hostile: Artifact;
const settings = config({ wall_ms: 4000, native_max_processes: 16, native_tmpfs_mb: 8 });
const ex = new Executor(settings);

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'executor-test-'));
  execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'hostile'), SOURCE]);
  hostile = artifact(readFileSync(join(dir, 'hostile')), 'elf');
});
after(async () => {
  await ex.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Processes still alive whose command line is the sandboxed circuit's. */
function leftovers(mode: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8') === `/circuit\0${mode}\0`;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process's name and parent, or undefined once it is gone. */
function stat(pid: string): { comm: string; ppid: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const end = s.lastIndexOf(')');
    return { comm: s.slice(s.indexOf('(') + 1, end), ppid: s.slice(end + 2).split(' ')[1]! };
  } catch {
    return undefined;
  }
}

/**
 * Sandbox processes that outlived their run: bwrap processes of the sandbox user (uid 65534; a root host
 * only, elsewhere bwrap runs as the user, who may have others) whose parent is no longer their run's
 * unshare or bwrap, e.g. a sandbox init left behind for the host's pid 1 to reap.
 */
function orphans(): string[] {
  if (process.getuid?.() !== 0) return [];
  return readdirSync('/proc').filter((pid) => {
    const s = /^\d+$/.test(pid) ? stat(pid) : undefined;
    if (s?.comm !== 'bwrap') return false;
    try {
      if (!/^Uid:\s+65534\s/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return false;
    } catch {
      return false;
    }
    return !['bwrap', 'unshare'].includes(stat(s.ppid)?.comm ?? '');
  });
}

test('native: stdin/stdout round trip through the sandbox', { skip }, async () => {
  const r = await ex.run(hostile, 'echo', [], '{"nonce_uuid":"n"}');
  assert.equal(r.error, undefined);
  assert.equal(r.exit_code, 0);
  assert.equal(r.stdout, '{"nonce_uuid":"n"}');
});

test('native: /etc/passwd of the host cannot be read', { skip }, async () => {
  const r = await ex.run(hostile, 'passwd', [], '');
  assert.equal(r.exit_code, 1);
  assert.match(r.stdout, /^blocked/);
  assert.doesNotMatch(r.stdout, /root:/);
});

test('native: no connection to a host server on 127.0.0.1 arrives', { skip }, async () => {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const r = await ex.run(hostile, 'connect', [String(port)], '');
    assert.equal(r.exit_code, 1);
    assert.match(r.stdout, /^blocked/);
    // The same probe outside the sandbox does connect: the test can see a connection when one happens. The
    // listener accepts in arrival order, so once this one is seen, any attempt from the sandbox would be too.
    const seen = new Promise((r) => server.once('connection', r));
    await new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1', resolve).on('error', reject));
    await seen;
    assert.equal(connections, 1, 'only the probe from outside the sandbox arrived');
  } finally {
    server.close();
  }
});

test('native: a fork bomb is stopped by the process limit and leaves nothing behind', { skip }, async () => {
  // Two at once: each sandbox has its own budget of 16 (its init, the circuit, 14 forks), not a shared one.
  const runs = await Promise.all([ex.run(hostile, 'forkbomb', [], ''), ex.run(hostile, 'forkbomb', [], '')]);
  for (const r of runs) {
    assert.equal(r.exit_code, 0, JSON.stringify(r));
    assert.equal(r.stdout, 'forked 14\n');
  }
  // No grace period: a run returns only once its sandbox is gone.
  assert.deepEqual(leftovers('forkbomb'), []);
  assert.deepEqual(orphans(), []);
});

test('native: 200 back-to-back runs at full concurrency all succeed and leave nothing behind', { skip }, async () => {
  // Twice the executor's concurrency in flight keeps every slot busy. Each finished sandbox must be gone
  // when its run returns, not left for the host's pid 1 to reap: leftovers count against the shared
  // process limit of uid 65534, and a few dozen of them made later sandboxes fail to fork (EAGAIN).
  const failures: string[] = [];
  const orphaned = new Set<string>();
  let started = 0;
  const loop = async () => {
    while (started < 200) {
      const i = started++;
      const r = await ex.run(hostile, 'echo', [], `run ${i}`);
      if (r.exit_code !== 0 || r.stdout !== `run ${i}`) failures.push(JSON.stringify(r));
      for (const pid of orphans()) orphaned.add(pid);
    }
  };
  await Promise.all(Array.from({ length: 2 * settings.concurrency }, loop));
  assert.equal(started, 200);
  assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of 200 runs failed`);
  // A bwrap seen parentless while other runs were in flight may have been one of theirs in mid-teardown
  // (its unshare gone a moment before it); once every run has returned, none may be left.
  assert.deepEqual(
    [...orphaned].filter((pid) => stat(pid)?.comm === 'bwrap'),
    [],
    'orphans seen during the runs are gone',
  );
  assert.deepEqual(orphans(), []);
});

test('native: writes outside the sandbox tmpfs fail; the host file system is untouched', { skip }, async () => {
  const probe = join(dir, 'owned-by-circuit');
  const hostTmpProbe = join(tmpdir(), `executor-probe-${process.pid}`);
  const r = await ex.run(hostile, 'write', [probe], '');
  assert.equal(r.exit_code, 0);
  const got = Object.fromEntries(
    r.stdout
      .trim()
      .split(' ')
      .map((kv) => kv.split('=').map((x, i) => (i ? Number(x) : x))),
  );
  assert.notEqual(got.host, 0, 'the host directory is not even visible');
  assert.notEqual(got.etc, 0);
  assert.notEqual(got.root, 0);
  assert.notEqual(got.circuit, 0);
  assert.equal(got.tmp, 0, 'its own /tmp works');
  assert.equal(existsSync(probe), false);
  // /tmp inside is a private tmpfs: a file written there never shows up in the host's /tmp.
  await ex.run(hostile, 'write', [hostTmpProbe], '');
  assert.equal(existsSync(hostTmpProbe), false);
});

test('native: file size and address space limits hold', { skip }, async () => {
  const big = await ex.run(hostile, 'bigfile', [], '');
  assert.equal(big.exit_code, null);
  assert.match(big.error ?? '', /SIGXFSZ \(file size limit exceeded\)/);
  const alloc = await ex.run(hostile, 'alloc', [], '');
  assert.equal(alloc.stdout, 'alloc refused\n');
});

test('native: an output flood is capped, stopped and reported as truncated', { skip }, async () => {
  const r = await ex.run(hostile, 'flood', [], '', { output_bytes: 50_000 });
  assert.equal(r.truncated, true);
  assert.equal(r.stdout.length, 50_000);
  assert.equal(r.exit_code, null);
  assert.match(r.error ?? '', /output exceeded 50000 bytes/);
  assert.ok(r.duration_ms < 3000, String(r.duration_ms)); // stopped, not run to the 4 s wall time
});

test('native: sleeping forever is killed at the wall time with its whole sandbox', { skip }, async () => {
  const r = await ex.run(hostile, 'sleep', [], '', { wall_ms: 400 });
  assert.equal(r.timed_out, true);
  assert.equal(r.exit_code, null);
  assert.ok(r.duration_ms < 3000, String(r.duration_ms)); // the per-run 400 ms, not the configured 4 s
  assert.deepEqual(leftovers('sleep'), []);
  assert.deepEqual(orphans(), []);
  const ok = await ex.run(hostile, 'echo', [], 'alive');
  assert.equal(ok.stdout, 'alive');
});

test('native: without bwrap, native circuits are refused with how to install it', { skip }, async () => {
  const path = process.env.PATH;
  process.env.PATH = dir; // holds no bwrap
  let noBwrap: Executor;
  let dev: Executor;
  const warnings: string[] = [];
  try {
    noBwrap = new Executor(config());
    dev = new Executor(config({ allow_unsandboxed_native: true }), { warn: (m) => warnings.push(m) });
  } finally {
    process.env.PATH = path;
  }
  try {
    const r = await noBwrap.run(hostile, 'echo', [], 'x');
    assert.equal(r.exit_code, null);
    assert.match(r.error ?? '', /apt-get install bubblewrap/);
    // development switch: runs directly, and warns on every run
    for (let i = 0; i < 2; i++) assert.equal((await dev.run(hostile, 'echo', [], 'dev')).stdout, 'dev');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /WITHOUT a sandbox/);
  } finally {
    await noBwrap.close();
    await dev.close();
  }
});

test('native: close() kills runs in flight', { skip }, async () => {
  const own = new Executor(config({ wall_ms: 10_000 }));
  const run = own.run(hostile, 'sleep', [], '');
  await until(() => leftovers('sleep').length > 0, 'the circuit process started');
  await own.close();
  const r = await run;
  assert.equal(r.exit_code, null);
  assert.match(r.error ?? '', /killed by SIGKILL/);
  assert.ok(r.duration_ms < 5000, String(r.duration_ms));
  assert.deepEqual(leftovers('sleep'), []);
  assert.deepEqual(orphans(), []);
});
