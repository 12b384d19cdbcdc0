import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chownSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ResolvedLimits, RunResult } from './types.js';

/** The uid/gid a root host runs sandboxes as (see NativeRunner): `nobody`. */
const SANDBOX_ID = 65534;
/** Native artifacts kept on disk (by sha256); beyond this the least recently used file is removed. */
const ARTIFACT_FILES = 64;

const LIMIT_SIGNALS: Record<string, string> = {
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'file size limit exceeded',
  SIGSEGV: 'often the address-space (memory) limit',
};

function signalName(n: number): string | null {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] ?? null;
}

export interface NativeOptions {
  concurrency: number;
  memory_mb: number;
  native_max_processes: number;
  native_max_open_files: number;
  native_tmpfs_mb: number;
  allow_unsandboxed_native: boolean;
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Runs native ELF circuits. The sandbox is bubblewrap: every namespace unshared (so no network: the
 * sandbox's loopback is its own), an empty tmpfs root made read-only holding only the binary (read-only
 * bind) and /dev's null/zero/urandom nodes, a small tmpfs /tmp, no capabilities, a cleared environment,
 * `--new-session` (no TIOCSTI on our terminal) and `--die-with-parent`. Binaries must be static: the root
 * has no libraries.
 *
 * Resource limits come from `prlimit` (util-linux), so no shell or helper binary has to exist in the
 * sandbox. CPU, address space, file size, open files and core size are set by prlimit on itself before it
 * execs bwrap, and are inherited by everything inside. RLIMIT_NPROC cannot be set that way: the kernel
 * counts it per uid up the user-namespace chain, so every sandbox (and, for a non-root host, the server's
 * own threads) would share one budget. Instead bwrap reports its sandbox's init pid (`--info-fd`) and
 * waits (`--block-fd`) until `prlimit --pid` has set RLIMIT_NPROC on that init; the circuit inherits it and
 * is counted only within its own fresh user namespace. If the limit cannot be set the run is killed before
 * the circuit starts. RLIMIT_NPROC does not bind uid 0, so a root host starts the sandbox as uid/gid 65534
 * (Node's spawn uid/gid, which also drops supplementary groups).
 *
 * Wall time (and output cap, and close()): SIGKILL to the run's process group (prlimit→bwrap) and to the
 * sandbox's init, whose death ends its pid namespace and every process in it.
 *
 * Known gap: if this Node process dies while a sandbox waits for its process limit, bwrap's block-fd reads
 * EOF and the circuit starts without its own RLIMIT_NPROC; on a root host the shared backstop still bounds it.
 */
export class NativeRunner {
  private readonly bwrap = findOnPath('bwrap');
  private readonly prlimit = findOnPath('prlimit');
  private dir: string | undefined;
  private readonly written = new Set<string>();
  /** Kill switches of the runs in flight, for close(). */
  private readonly live = new Set<() => void>();
  private readonly asRoot = process.getuid?.() === 0;

  constructor(
    private readonly opts: NativeOptions,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Why native circuits cannot run here, or undefined when they can. */
  unavailable(): string | undefined {
    if (this.opts.allow_unsandboxed_native) return undefined;
    if (!this.bwrap) {
      return 'native (elf) circuits need bubblewrap, which is not installed: apt-get install bubblewrap (or set executor.allow_unsandboxed_native = true for local development only)';
    }
    if (!this.prlimit) return 'native (elf) circuits need prlimit for resource limits: apt-get install util-linux';
    return undefined;
  }

  async run(sha256: string, bytes: Uint8Array, args: string[], stdin: Uint8Array, limits: ResolvedLimits): Promise<RunResult> {
    const started = performance.now();
    const refused = (error: string): RunResult => ({
      exit_code: null, stdout: '', stderr: '', duration_ms: performance.now() - started, timed_out: false, truncated: false, error,
    });
    const why = this.unavailable();
    if (why) return refused(why);
    const path = this.materialize(sha256, bytes);
    if (!path) return refused('artifact bytes do not match their sha256');

    let file: string;
    let argv: string[];
    const sandboxed = Boolean(this.bwrap && this.prlimit);
    if (sandboxed) {
      const cpu = Math.max(1, Math.ceil(limits.wall_ms / 1000));
      const tmpBytes = this.opts.native_tmpfs_mb * 1048576;
      file = this.prlimit!;
      argv = [
        `--cpu=${cpu}`,
        `--as=${this.opts.memory_mb * 1048576}`,
        `--nofile=${this.opts.native_max_open_files}`,
        `--fsize=${tmpBytes}`,
        `--core=0`,
        // Root host: a backstop on all sandboxes together (they share uid 65534), in case a sandbox is ever
        // released before its own limit is set (see limitProcesses). A non-root host's uid also counts the
        // server's own threads, so no shared backstop fits there.
        ...(this.asRoot ? [`--nproc=${2 * this.opts.concurrency * (this.opts.native_max_processes + 4)}`] : []),
        '--', this.bwrap!,
        '--info-fd', '3', '--block-fd', '4',
        '--unshare-all', '--die-with-parent', '--new-session', '--clearenv', '--cap-drop', 'ALL',
        '--tmpfs', '/',
        '--ro-bind', path, '/circuit',
        '--dev', '/dev',
        '--size', String(tmpBytes), '--tmpfs', '/tmp',
        '--remount-ro', '/',
        '--chdir', '/tmp',
        '/circuit', ...args,
      ];
    } else {
      this.warn(`executor: running native circuit ${sha256} WITHOUT a sandbox (allow_unsandboxed_native = true; development only)`);
      file = path;
      argv = args;
    }

    return new Promise<RunResult>((resolve) => {
      const child = spawn(file, argv, {
        detached: true,
        stdio: sandboxed ? ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
        env: sandboxed ? {} : { PATH: '/usr/bin:/bin' },
        cwd: sandboxed ? '/' : this.dir!,
        ...(sandboxed && this.asRoot ? { uid: SANDBOX_ID, gid: SANDBOX_ID } : {}),
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let total = 0;
      let truncated = false;
      let timedOut = false;
      let spawnError: string | undefined;
      let sandboxInit: number | undefined;
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      // Also kill the sandbox's init directly (that ends its whole pid namespace): it sits in its own
      // session, and if it were still blocked waiting for its process limit, killing bwrap alone would
      // release it to run unlimited and orphaned.
      const killRun = () => {
        try {
          if (sandboxInit) process.kill(sandboxInit, 'SIGKILL');
        } catch {
          // already gone
        }
        killGroup();
      };
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        if (truncated) return;
        const room = limits.output_bytes - total;
        if (chunk.length > room) {
          into.push(chunk.subarray(0, room));
          total += room;
          truncated = true;
          killRun();
          return;
        }
        into.push(chunk);
        total += chunk.length;
      };
      this.live.add(killRun);
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => {
        // the circuit exited without reading all of stdin
      });
      child.stdin.end(stdin);
      if (sandboxed) {
        this.limitProcesses(child, (pid) => (sandboxInit = pid), killRun, (e) => (spawnError ??= e));
      }
      const timer = setTimeout(() => {
        timedOut = true;
        killRun();
      }, limits.wall_ms);
      child.on('error', (e) => {
        spawnError = e.message;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        killGroup(); // anything left behind in bwrap's group; the sandbox itself has ended with bwrap
        this.live.delete(killRun);
        let error: string | undefined;
        if (timedOut) error = `wall time of ${limits.wall_ms} ms exceeded; run killed`;
        else if (truncated) error = `output exceeded ${limits.output_bytes} bytes; run stopped`;
        else if (spawnError) error = `could not start: ${spawnError}`;
        // bwrap reports a circuit killed by signal N as exit status 128+N.
        const sig = signal ?? (sandboxed && code !== null && code > 128 ? signalName(code - 128) : null);
        if (!error && sig) error = `killed by ${sig}${LIMIT_SIGNALS[sig] ? ` (${LIMIT_SIGNALS[sig]})` : ''}`;
        resolve({
          exit_code: timedOut || truncated || sig ? null : code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          duration_ms: performance.now() - started,
          timed_out: timedOut,
          truncated,
          ...(error !== undefined ? { error } : {}),
        });
      });
    });
  }

  /** Sets RLIMIT_NPROC on the sandbox's init once bwrap reports it, then lets bwrap start the circuit. */
  private limitProcesses(child: ChildProcess, onInit: (pid: number) => void, kill: () => void, fail: (e: string) => void): void {
    const info = child.stdio[3] as Readable;
    const go = child.stdio[4] as Writable;
    go.on('error', () => {
      // bwrap already gone
    });
    let text = '';
    let done = false;
    info.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const pid = /"child-pid"\s*:\s*(\d+)/.exec(text)?.[1];
      if (!pid || done) return;
      done = true;
      onInit(Number(pid));
      const ids = this.asRoot ? { uid: SANDBOX_ID, gid: SANDBOX_ID } : {};
      execFile(this.prlimit!, ['--pid', pid, `--nproc=${this.opts.native_max_processes}`], ids, (err) => {
        if (err) {
          fail(`could not set the process limit: ${err.message.trim()}`);
          kill();
        } else go.end('x');
      });
    });
  }

  /** Kills the runs in flight and removes the artifact directory. */
  close(): void {
    for (const kill of this.live) kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.written.clear();
  }

  /** Writes the artifact once to <private dir>/<sha256>, mode 0500; undefined if the bytes do not match. */
  private materialize(sha256: string, bytes: Uint8Array): string | undefined {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), 'enigma-exec-'));
      if (this.asRoot) chownSync(this.dir, SANDBOX_ID, SANDBOX_ID);
    }
    const path = join(this.dir, sha256);
    if (this.written.has(sha256)) {
      this.written.delete(sha256); // refresh recency
      this.written.add(sha256);
      return path;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== sha256) return undefined;
    writeFileSync(path, bytes, { mode: 0o500 });
    // The sandbox user must be able to execute it (it is the only user that can: 0500, its own).
    if (this.asRoot) chownSync(path, SANDBOX_ID, SANDBOX_ID);
    this.written.add(sha256);
    if (this.written.size > ARTIFACT_FILES) {
      const oldest = this.written.values().next().value!;
      this.written.delete(oldest);
      rmSync(join(this.dir, oldest), { force: true });
    }
    return path;
  }
}
