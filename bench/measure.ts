// Shared measuring pieces: a closed loop for in-process work, autocannon for HTTP, one row shape.
import autocannon from 'autocannon';

export interface Row {
  scenario: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  rss_mb: number | null;
  /** CPU time (user + system) the server process spent per request or pair, all threads: what a request costs. */
  cpu_us_per_op: number | null;
  /** The same for its event-loop thread alone, the part that cannot spread over cores. */
  main_thread_us_per_op: number | null;
  /**
   * [postgres] rows: CPU time the local PostgreSQL server's processes spent per request or pair. SQLite's
   * work is inside the registry's own figure; PostgreSQL's is here, on the same cores. null: not local.
   */
  db_cpu_us_per_op?: number | null;
  /** The baseline the ratio was taken against (measured right before this scenario when it has a ratio target). */
  baseline_rps: number | null;
  ratio_to_baseline: number | null;
  /**
   * Directory scenarios: the least a request can cost, in CPU µs: the floor server's under the same load
   * (resolve, register: bench/floor-server.ts), else the baseline's plus the unavoidable work (bench/floor.ts).
   */
  floor_us_per_op?: number;
  /** The sum of parts, µs each: `baseline` and the scenario's unavoidable parts. */
  floor_parts_us?: Record<string, number>;
  /** Their total, shown beside a measured floor. */
  floor_parts_sum_us?: number;
  /** cpu_us_per_op / floor_us_per_op. */
  cpu_ratio_to_floor?: number;
}

export type Figures = Pick<Row, 'rps' | 'p50_ms' | 'p99_ms'>;

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/**
 * Runs `op` from `inFlight` concurrent loops for `seconds`; latency includes any queueing inside `op`,
 * as a caller under load would see it.
 */
export async function closedLoop(op: () => Promise<void>, seconds: number, inFlight: number): Promise<Figures> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  return { rps: Math.round(latencies.length / elapsed), p50_ms: pct(0.5), p99_ms: pct(0.99) };
}

export interface HttpLoad {
  url: string;
  connections: number;
  seconds: number;
  requests: autocannon.Request[];
  /** Fixed request rate (open loop) instead of as fast as possible. */
  overallRate?: number;
  /** Requests per unit of work (a challenge + validate pair is 2): rps is reported per unit. */
  perUnit?: number;
}

/** autocannon as a library; any non-2xx answer or socket error fails the scenario rather than flattering it. */
export async function httpLoad(l: HttpLoad): Promise<Figures> {
  const r = await autocannon({
    url: l.url,
    connections: l.connections,
    duration: l.seconds,
    requests: l.requests,
    ...(l.overallRate !== undefined && { overallRate: l.overallRate }),
  });
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
    throw new Error(
      `${l.url}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts out of ${r.requests.total}`,
    );
  if (r.requests.total === 0) throw new Error(`${l.url}: no request completed`);
  return {
    rps: Math.round(r.requests.total / (l.perUnit ?? 1) / r.duration),
    p50_ms: round(r.latency.p50),
    p99_ms: round(r.latency.p99),
  };
}
