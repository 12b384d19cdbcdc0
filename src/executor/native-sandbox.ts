// Pure parts of a native run: the sandboxed command line, and how its end maps to a result.
import { constants as osConstants } from 'node:os';

/** The util-linux and bubblewrap binaries a sandboxed run is built from (absolute paths). */
export interface SandboxTools {
  bwrap: string;
  prlimit: string;
  unshare: string;
  setpriv: string;
}

export interface SandboxSpec {
  /** uid/gid the sandbox runs as, mapped inside its user namespace. */
  uid: number;
  gid: number;
  /** A root host adds a shared RLIMIT_NPROC backstop for all sandboxes of `uid` (see NativeRunner). */
  asRoot: boolean;
  concurrency: number;
  maxProcesses: number;
  maxOpenFiles: number;
  memoryBytes: number;
  tmpfsBytes: number;
  wallMs: number;
}

/**
 * `setpriv --pdeathsig KILL` → [root: `prlimit --nproc=<backstop>`] → `unshare --user --pid --fork` →
 * `prlimit <limits>` → bwrap with every namespace unshared and an empty read-only root holding only the
 * binary. NativeRunner's comment says why each layer is there.
 */
export function sandboxCommand(
  tools: SandboxTools,
  spec: SandboxSpec,
  binaryPath: string,
  args: string[],
): { file: string; argv: string[] } {
  const cpu = Math.max(1, Math.ceil(spec.wallMs / 1000));
  // unshare and bwrap's monitor count in the run's user namespace too.
  const perRun = spec.maxProcesses + 2;
  return {
    file: tools.setpriv,
    argv: [
      '--pdeathsig',
      'KILL',
      '--',
      // Root host: all sandboxes together (they share one uid), twice what `concurrency` runs can hold, as
      // defence in depth behind each run's own limit. It must be set before unshare: a user namespace counts
      // against its creator's limit. A non-root host's uid also counts the server's own threads, so no
      // shared backstop fits there.
      ...(spec.asRoot ? [tools.prlimit, `--nproc=${2 * spec.concurrency * perRun}`, '--'] : []),
      tools.unshare,
      '--user',
      `--map-user=${spec.uid}`,
      `--map-group=${spec.gid}`,
      '--pid',
      '--fork',
      '--kill-child',
      '--',
      tools.prlimit,
      `--cpu=${cpu}`,
      `--as=${spec.memoryBytes}`,
      `--nofile=${spec.maxOpenFiles}`,
      `--fsize=${spec.tmpfsBytes}`,
      '--core=0',
      `--nproc=${perRun}`,
      '--',
      tools.bwrap,
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--cap-drop',
      'ALL',
      '--tmpfs',
      '/',
      '--ro-bind',
      binaryPath,
      '/circuit',
      '--dev',
      '/dev',
      '--size',
      String(spec.tmpfsBytes),
      '--tmpfs',
      '/tmp',
      '--remount-ro',
      '/',
      '--chdir',
      '/tmp',
      '/circuit',
      ...args,
    ],
  };
}

const LIMIT_SIGNALS: Record<string, string> = {
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'file size limit exceeded',
  SIGSEGV: 'often the address-space (memory) limit',
};

function signalName(n: number): string | null {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] ?? null;
}

export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  sandboxed: boolean;
  timedOut: boolean;
  truncated: boolean;
  spawnError: string | undefined;
  wallMs: number;
  outputBytes: number;
}

/** The exit status a run reports, and why it failed when it did (the first cause wins). */
export function runOutcome(end: RunEnd): { exit_code: number | null; error?: string } {
  // bwrap reports a circuit killed by signal N as exit status 128+N (and unshare passes it on).
  const sig = end.signal ?? (end.sandboxed && end.code !== null && end.code > 128 ? signalName(end.code - 128) : null);
  let error: string | undefined;
  if (end.timedOut) error = `wall time of ${end.wallMs} ms exceeded; run killed`;
  else if (end.truncated) error = `output exceeded ${end.outputBytes} bytes; run stopped`;
  else if (end.spawnError) error = `could not start: ${end.spawnError}`;
  else if (sig) error = `killed by ${sig}${LIMIT_SIGNALS[sig] ? ` (${LIMIT_SIGNALS[sig]})` : ''}`;
  const exit_code = end.timedOut || end.truncated || sig ? null : end.code;
  return error === undefined ? { exit_code } : { exit_code, error };
}
