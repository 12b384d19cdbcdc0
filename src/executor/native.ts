// Native (ELF) circuit runs under bubblewrap: artifact files on disk, limits, wall time, output cap and cleanup.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chownSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runOutcome, sandboxCommand, type SandboxTools } from './native-sandbox.js';
import { failedRun } from './run-result.js';
import type { ResolvedLimits, RunResult } from './types.js';

/** The uid/gid a root host runs sandboxes as (see NativeRunner): `nobody`. */
const SANDBOX_ID = 65534;
/** Native artifacts kept on disk (by sha256); beyond this the least recently used file is removed. */
const ARTIFACT_FILES = 64;

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

/** The one child of `pid` (unshare's is bwrap, bwrap's is the sandbox init), if it has one yet. */
function onlyChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs native ELF circuits. The sandbox is bubblewrap: every namespace unshared (so no network: the
 * sandbox's loopback is its own), an empty tmpfs root made read-only holding only the binary (read-only
 * bind) and /dev's null/zero/urandom nodes, a small tmpfs /tmp, no capabilities, a cleared environment,
 * `--new-session` (no TIOCSTI on our terminal) and `--die-with-parent`. Binaries must be static: the root
 * has no libraries. A root host runs sandboxes as uid/gid 65534 (Node's spawn uid/gid, which also drops
 * supplementary groups), since RLIMIT_NPROC does not bind uid 0.
 *
 * Each run is `setpriv --pdeathsig KILL` (dies with this server) → [root: `prlimit --nproc=<backstop>`] →
 * `unshare --user --pid --fork` → `prlimit <limits>` → bwrap, all util-linux, so no shell or helper
 * binary has to exist in the sandbox. The unshare layer is what makes a finished run leave nothing behind:
 * bwrap's monitor exits as soon as its sandbox init reports the circuit's exit status, without reaping
 * that init, which is then reparented to the host's pid 1 and stays a zombie, still counted in RLIMIT_NPROC,
 * until that reaps it (never, where Node itself is pid 1). Here bwrap is pid 1 of the run's own pid
 * namespace instead, so its exit has the kernel kill and reap everything in it, and unshare reaps bwrap
 * before exiting: when the run's process closes, all of its sandbox is gone.
 *
 * The fresh user namespace also gives each run its own RLIMIT_NPROC budget: the kernel counts processes
 * per uid in every user namespace up the chain, each level against the limit its creator had. The inner
 * prlimit caps this run's namespace (unshare, bwrap, the sandbox init, the circuit and its children) at
 * native_max_processes + 2, before bwrap starts; the root host's backstop caps all sandboxes of uid 65534
 * together. CPU, address space, file size, open files and core size are set by the inner prlimit too.
 *
 * Wall time (and output cap, and close()): SIGKILL to the sandbox's init, whose death ends the sandbox's
 * pid namespace and every process in it; bwrap then exits and unshare reaps it.
 */
export class NativeRunner {
  private readonly bwrap = findOnPath('bwrap');
  private readonly prlimit = findOnPath('prlimit');
  private readonly unshare = findOnPath('unshare');
  private readonly setpriv = findOnPath('setpriv');
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
    if (!this.prlimit || !this.unshare || !this.setpriv) {
      return 'native (elf) circuits need prlimit, unshare and setpriv for resource limits and cleanup: apt-get install util-linux';
    }
    return undefined;
  }

  async run(
    sha256: string,
    bytes: Uint8Array,
    args: string[],
    stdin: Uint8Array,
    limits: ResolvedLimits,
  ): Promise<RunResult> {
    const started = performance.now();
    const why = this.unavailable();
    if (why) return failedRun(why, performance.now() - started);
    const path = this.materialize(sha256, bytes);
    if (!path) return failedRun('artifact bytes do not match their sha256', performance.now() - started);

    const tools = this.tools();
    const { file, argv } = tools
      ? sandboxCommand(
          tools,
          {
            uid: this.asRoot ? SANDBOX_ID : process.getuid!(),
            gid: this.asRoot ? SANDBOX_ID : process.getgid!(),
            asRoot: this.asRoot,
            concurrency: this.opts.concurrency,
            maxProcesses: this.opts.native_max_processes,
            maxOpenFiles: this.opts.native_max_open_files,
            memoryBytes: this.opts.memory_mb * 1048576,
            tmpfsBytes: this.opts.native_tmpfs_mb * 1048576,
            wallMs: limits.wall_ms,
          },
          path,
          args,
        )
      : this.unsandboxed(sha256, path, args);
    const sandboxed = tools !== undefined;

    return new Promise<RunResult>((resolve) => {
      const child = spawn(file, argv, {
        detached: true,
        stdio: 'pipe',
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
      // Kill the sandbox's init: its death ends the sandbox's pid namespace, bwrap reports it (as SIGKILL)
      // and exits, and unshare reaps bwrap. Not unshare, which must live to reap bwrap (else bwrap is left
      // a zombie for the host's pid 1); not bwrap unless the init does not exist yet (unshare would report
      // bwrap's death as its own failure). Before unshare has forked, its process group is all there is;
      // unsandboxed (development only), likewise.
      const killRun = () => {
        if (!child.pid) return;
        const monitor = sandboxed ? onlyChild(child.pid) : undefined;
        const init = monitor && onlyChild(monitor);
        try {
          process.kill(init || monitor || -child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
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
      const timer = setTimeout(() => {
        timedOut = true;
        killRun();
      }, limits.wall_ms);
      child.on('error', (e) => {
        spawnError = e.message;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (!sandboxed) killRun(); // whatever the circuit left behind in its group (a sandbox leaves nothing)
        this.live.delete(killRun);
        const outcome = runOutcome({
          code,
          signal,
          sandboxed,
          timedOut,
          truncated,
          spawnError,
          wallMs: limits.wall_ms,
          outputBytes: limits.output_bytes,
        });
        resolve({
          exit_code: outcome.exit_code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          duration_ms: performance.now() - started,
          timed_out: timedOut,
          truncated,
          ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        });
      });
    });
  }

  private tools(): SandboxTools | undefined {
    const { bwrap, prlimit, unshare, setpriv } = this;
    return bwrap && prlimit && unshare && setpriv ? { bwrap, prlimit, unshare, setpriv } : undefined;
  }

  /** Development only (allow_unsandboxed_native): the binary itself, loudly. */
  private unsandboxed(sha256: string, path: string, args: string[]): { file: string; argv: string[] } {
    this.warn(
      `executor: running native circuit ${sha256} WITHOUT a sandbox (allow_unsandboxed_native = true; development only)`,
    );
    return { file: path, argv: args };
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
