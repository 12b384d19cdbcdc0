// Executor throughput: calls/s and latency for the sixzone circuit's proof-path commands, a trivial WASI module and a trivial native circuit, run
// through the Executor exactly as the proof path does (queue, pool, sandbox). `node dist/bench/executor.js`
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Executor, type Artifact } from '../src/executor/index.js';
import { findOnPath } from '../src/executor/native.js';
import { echoModule } from '../test/executor/wasm-builder.js';
import { closedLoop, type Figures } from './measure.js';
import { solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../src/client/sixzone.js';
import { packageRoot } from '../src/paths.js';

export type ExecutorBenchRow = { scenario: string } & Figures;

const HOSTILE_C = join(dirname(fileURLToPath(import.meta.url)), '../../test/executor/fixtures/hostile.c');
/** A validate-response sized request. */
const STDIN = JSON.stringify({
  nonce_uuid: '7d4f0a52-3c51-4a5e-9a43-0a6f3f6c2b11',
  tau: '1732400000000',
  seed: 'ab'.repeat(32),
  payload: { bearings: Array(12).fill('NE') },
});

const concurrency = availableParallelism();

const artifactOf = (bytes: Uint8Array, kind: Artifact['kind']): Artifact => ({
  sha256: createHash('sha256').update(bytes).digest('hex'),
  kind,
  bytes,
});

async function measure(
  ex: Executor,
  scenario: string,
  a: Artifact,
  command: string,
  seconds: number,
  stdin = STDIN,
  expect = STDIN,
): Promise<ExecutorBenchRow> {
  const check = await ex.run(a, command, [], stdin); // warm-up, and proof the scenario works
  if (check.exit_code !== 0 || check.stdout.trim() !== expect) throw new Error(`${scenario}: ${JSON.stringify(check)}`);
  // Twice the concurrency in flight keeps every slot busy without hitting the queue bound.
  const figures = await closedLoop(
    async () => {
      const r = await ex.run(a, command, [], stdin);
      if (r.exit_code !== 0) throw new Error(`${scenario}: ${JSON.stringify(r)}`);
    },
    seconds,
    2 * concurrency,
  );
  return { scenario, ...figures };
}

/** The reference circuit's two commands on the proof path, with a real challenge and its right answer. */
async function sixzoneScenarios(ex: Executor, seconds: number): Promise<ExecutorBenchRow[]> {
  const sixzone = artifactOf(new Uint8Array(readFileSync(join(packageRoot, 'build/circuits/sixzone.wasm'))), 'wasm');
  const secret: SixzoneSecret = { symbols: 'BENCH42' };
  const base = { nonce_uuid: '7d4f0a52-3c51-4a5e-9a43-0a6f3f6c2b11', tau: 'bench', seed: 'ab'.repeat(32) };
  const challenge = await ex.run(sixzone, 'challenge', [], JSON.stringify(base));
  const bearings = solveSixzone(JSON.parse(challenge.stdout) as SixzoneChallenge, secret);
  const validate = JSON.stringify({ ...base, payload: { bearings }, secret });
  return [
    await measure(
      ex,
      'wasm sixzone challenge',
      sixzone,
      'challenge',
      seconds,
      JSON.stringify(base),
      challenge.stdout.trim(),
    ),
    await measure(
      ex,
      'wasm sixzone validate-response',
      sixzone,
      'validate-response',
      seconds,
      validate,
      '{"valid":true}',
    ),
  ];
}

export async function benchExecutor(opts: { seconds: number }): Promise<ExecutorBenchRow[]> {
  const ex = new Executor({
    wall_ms: 2000,
    memory_mb: 64,
    output_bytes: 1_048_576,
    concurrency,
    queue: 64,
    native_max_processes: 16,
    native_max_open_files: 64,
    native_tmpfs_mb: 8,
    allow_unsandboxed_native: false,
  });
  const rows: ExecutorBenchRow[] = [];
  let dir: string | undefined;
  try {
    rows.push(...(await sixzoneScenarios(ex, opts.seconds)));
    rows.push(
      await measure(
        ex,
        `wasm echo (${concurrency} workers)`,
        artifactOf(echoModule(0), 'wasm'),
        'validate-response',
        opts.seconds,
      ),
    );
    const missing = ['bwrap', 'prlimit', 'gcc'].filter((t) => !findOnPath(t));
    if (missing.length > 0) {
      console.error(`bench executor: native scenario skipped (missing ${missing.join(', ')})`);
    } else {
      dir = mkdtempSync(join(tmpdir(), 'executor-bench-'));
      execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'circuit'), HOSTILE_C]);
      rows.push(
        await measure(
          ex,
          'elf echo (bwrap)',
          artifactOf(readFileSync(join(dir, 'circuit')), 'elf'),
          'echo',
          opts.seconds,
        ),
      );
    }
  } finally {
    await ex.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await benchExecutor({ seconds: Number(process.env.BENCH_SECONDS ?? 3) });
  console.table(rows);
}
