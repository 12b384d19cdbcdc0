// The sandbox command line and the exit mapping, as pure functions: what every native run is built from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runOutcome, sandboxCommand, type RunEnd, type SandboxSpec } from '../../src/executor/native-sandbox.js';

const tools = { bwrap: '/b/bwrap', prlimit: '/b/prlimit', unshare: '/b/unshare', setpriv: '/b/setpriv' };
const spec: SandboxSpec = {
  uid: 65534,
  gid: 65534,
  asRoot: true,
  concurrency: 3,
  maxProcesses: 16,
  maxOpenFiles: 64,
  memoryBytes: 256 * 1048576,
  tmpfsBytes: 8 * 1048576,
  wallMs: 2500,
};

test('the sandbox runs the binary read-only as /circuit, every namespace unshared, no environment or capabilities', () => {
  const { file, argv } = sandboxCommand(tools, spec, '/tmp/x/abc', ['challenge', '--flag']);
  assert.equal(file, tools.setpriv);
  const bwrapAt = argv.indexOf(tools.bwrap);
  const sandbox = argv.slice(bwrapAt + 1);
  for (const flag of ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv'])
    assert.ok(sandbox.includes(flag), flag);
  assert.deepEqual(sandbox.slice(sandbox.indexOf('--cap-drop'), sandbox.indexOf('--cap-drop') + 2), [
    '--cap-drop',
    'ALL',
  ]);
  assert.deepEqual(sandbox.slice(sandbox.indexOf('--ro-bind'), sandbox.indexOf('--ro-bind') + 3), [
    '--ro-bind',
    '/tmp/x/abc',
    '/circuit',
  ]);
  assert.deepEqual(sandbox.slice(-3), ['/circuit', 'challenge', '--flag']);
  // The root is emptied, then remounted read-only after /tmp is mounted on it.
  assert.ok(sandbox.indexOf('--remount-ro') > sandbox.indexOf('/tmp'));
});

test('limits: CPU seconds round up from the wall time, the run counts unshare and bwrap in its process budget', () => {
  const { argv } = sandboxCommand(tools, spec, '/p', []);
  const inner = argv.slice(argv.lastIndexOf(tools.prlimit) + 1, argv.indexOf(tools.bwrap));
  assert.deepEqual(inner, [
    '--cpu=3',
    `--as=${256 * 1048576}`,
    '--nofile=64',
    `--fsize=${8 * 1048576}`,
    '--core=0',
    '--nproc=18',
    '--',
  ]);
  // Root host: a backstop for all sandboxes of the shared uid before the user namespace is made.
  assert.deepEqual(argv.slice(3, 6), [tools.prlimit, `--nproc=${2 * 3 * 18}`, '--']);
  assert.ok(argv.indexOf(tools.prlimit) < argv.indexOf(tools.unshare));
});

test('a non-root host gets no shared backstop and maps its own uid', () => {
  const { argv } = sandboxCommand(tools, { ...spec, asRoot: false, uid: 1000, gid: 1001 }, '/p', []);
  assert.equal(argv.indexOf(tools.prlimit), argv.lastIndexOf(tools.prlimit));
  assert.deepEqual(argv.slice(3, 7), [tools.unshare, '--user', '--map-user=1000', '--map-group=1001']);
});

const end = (over: Partial<RunEnd>): RunEnd => ({
  code: 0,
  signal: null,
  sandboxed: true,
  timedOut: false,
  truncated: false,
  spawnError: undefined,
  wallMs: 1000,
  outputBytes: 4096,
  ...over,
});

test("exit mapping: a clean exit keeps its status; bwrap's 128+N is the signal N with the limit it suggests", () => {
  assert.deepEqual(runOutcome(end({ code: 3 })), { exit_code: 3 });
  assert.deepEqual(runOutcome(end({ code: 128 + 24 })), {
    exit_code: null,
    error: 'killed by SIGXCPU (CPU time limit exceeded)',
  });
  assert.deepEqual(runOutcome(end({ code: 128 + 9 })), { exit_code: null, error: 'killed by SIGKILL' });
  // Unsandboxed, a high exit status is only a status.
  assert.deepEqual(runOutcome(end({ code: 137, sandboxed: false })), { exit_code: 137 });
  assert.deepEqual(runOutcome(end({ code: null, signal: 'SIGSEGV', sandboxed: false })), {
    exit_code: null,
    error: 'killed by SIGSEGV (often the address-space (memory) limit)',
  });
});

test('exit mapping: the wall clock, then the output cap, then a failed spawn explain a run before its signal', () => {
  assert.deepEqual(runOutcome(end({ code: 137, timedOut: true, truncated: true })), {
    exit_code: null,
    error: 'wall time of 1000 ms exceeded; run killed',
  });
  assert.deepEqual(runOutcome(end({ code: 137, truncated: true })), {
    exit_code: null,
    error: 'output exceeded 4096 bytes; run stopped',
  });
  assert.deepEqual(runOutcome(end({ code: -2, spawnError: 'ENOENT' })), {
    exit_code: -2,
    error: 'could not start: ENOENT',
  });
});
