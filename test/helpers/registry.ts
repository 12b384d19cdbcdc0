// Registries for tests: one in process on a free port and temp state dir, JSON calls, and the CLI as a child.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pino from 'pino';
import type { Clock } from '../../src/config/clock.js';
import { resolveConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { packageRoot } from '../../src/paths.js';
import { startRegistry, type RunningRegistry } from '../../src/app/start.js';
import { defer } from './cleanup.js';
import { freshSchema } from './services.js';

/**
 * A fresh temp dir. Given the test's context `t`, it is removed when the test ends, after everything deferred on `t`
 * later (a registry or store opened in it); otherwise the caller removes it.
 */
export function tempDir(prefix?: string): { path: string; remove(): void };
export function tempDir(t: TestContext, prefix?: string): { path: string; remove(): void };
export function tempDir(
  first: TestContext | string = 'enigma-test-',
  prefix = 'enigma-test-',
): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), typeof first === 'string' ? first : prefix));
  const dir = { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  if (typeof first !== 'string') defer(first, dir.remove);
  return dir;
}

/**
 * A registry on 127.0.0.1:<free port> with a silent logger; the state dir is a fresh temp dir unless given.
 * Its default storage is SQLite in that dir, or, with ENIGMA_TEST_STORAGE=postgres (test/scale runs the
 * HTTP suites that way), a fresh PostgreSQL schema dropped at close. `opts.clock` drives time (test/helpers/clock.ts).
 * Given the test's context `opts.t`, the registry is closed when the test ends (test/helpers/cleanup.ts).
 */
export async function startTestRegistry(
  raw: ConfigInput & Record<string, unknown> = {},
  opts: { clock?: Clock; t?: TestContext } = {},
): Promise<RunningRegistry & { dir: string }> {
  const dir = tempDir();
  const pg =
    raw.storage === undefined && process.env.ENIGMA_TEST_STORAGE === 'postgres' ? await freshSchema() : undefined;
  const config = resolveConfig({
    address: '127.0.0.1:0',
    state_dir: dir.path,
    storage: pg
      ? { kind: 'postgres', url: pg.url, pool_size: 4 }
      : { kind: 'sqlite', path: join(dir.path, 'registry.sqlite3') },
    ...raw,
  });
  const { t, ...context } = opts;
  const running = await startRegistry(config, pino({ level: 'silent' }), context);
  const reg = {
    ...running,
    dir: dir.path,
    close: async () => {
      await running.close();
      await pg?.drop();
      dir.remove();
    },
  };
  if (t) defer(t, reg.close);
  return reg;
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch + JSON both ways; every registry answer must be JSON, so a non-JSON body fails the test. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: T;
  try {
    parsed = JSON.parse(text) as T;
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export interface SpawnedRegistry {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  cwd?: string;
  waitFor?: RegExp;
  timeoutMs?: number;
  nodeArgs?: string[];
}

/** Runs the real CLI (`node dist/src/cli/main.js ...args`) and waits for its status line. */
export function spawnCli(args: string[], opts: SpawnOptions = {}): Promise<SpawnedRegistry> {
  return spawnNode(join(packageRoot, 'dist/src/cli/main.js'), args, opts);
}

/** Children still running when this process exits (a test or bench that failed midway) are killed with it. */
const spawned = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of spawned) child.kill('SIGKILL');
});

/** Runs a Node script and waits for a `listening on URL` line (or `waitFor`) on its stdout. */
export function spawnNode(script: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnedRegistry> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...args], {
    cwd: opts.cwd ?? packageRoot,
    stdio: 'pipe',
  });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = opts.waitFor ?? /listening on (\S+)/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no status line within ${opts.timeoutMs ?? 15000} ms; stderr: ${err}`));
    }, opts.timeoutMs ?? 15000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = waitFor.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] ?? '', stdout: () => out, stderr: () => err, exited });
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its status line; stderr: ${err}`));
    });
  });
}

/** Runs the CLI to completion and returns exit code and output. */
export function runCli(
  args: string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(packageRoot, 'dist/src/cli/main.js'), ...args], {
      cwd: opts.cwd ?? packageRoot,
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 15000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
