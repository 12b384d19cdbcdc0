// Prometheus metrics counted around the store, ledger, limiter, audit and executor, served at `GET /metrics`.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Executor } from '../executor/index.js';
import type { RateLimiter } from '../guard/limiter.js';
import type { Ledger } from '../ledger/ledger.js';
import type { BurnOutcome } from '../storage/ledger.js';
import type { AuditEntry } from '../storage/audit.js';
import type { Store } from '../storage/store.js';
import { requireAdmin } from '../http/admin-auth.js';
import type { Config } from '../config/schema.js';
import type { Audit } from '../audit/audit.js';

// Prometheus metrics (`[metrics] enabled`), one registry per running registry so that several can share a
// process (tests, integrators). Everything is counted by wrapping the parts the context hands out (store,
// ledger, limiter, audit, executor), so the domains need no metrics code of their own.

type Observer = (method: string, args: unknown[], seconds: number, result: unknown, failed: boolean) => void;

/** `target` with every method call reported to `observe` (latency, arguments, result or failure). */
function observed<T extends object>(target: T, observe: Observer): T {
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const start = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(t, args);
        if (!(out instanceof Promise)) return out;
        return out.then(
          (result: unknown) => {
            observe(prop, args, seconds(), result, false);
            return result;
          },
          (err: unknown) => {
            observe(prop, args, seconds(), undefined, true);
            throw err;
          },
        );
      };
    },
  });
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const STORE_DOMAINS = ['directory', 'circuits', 'artifacts', 'ledger', 'audit'] as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'enigma_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'enigma_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly proofSteps = new Counter({
    name: 'enigma_proof_steps_total',
    help: 'Proof-flow steps by outcome (the audit trail: challenge, validate, cli, binary, publish, revoke)',
    labelNames: ['step', 'outcome'],
    registers: [this.registry],
  });
  private readonly burns = new Counter({
    name: 'enigma_ledger_burns_total',
    help: 'Nonce burns by outcome (spent, replay, expired, tau_mismatch, unknown, error)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly ledgerLatency = new Histogram({
    name: 'enigma_ledger_operation_duration_seconds',
    help: 'Ledger call latency by operation',
    labelNames: ['op', 'failed'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly storeLatency = new Histogram({
    name: 'enigma_store_operation_duration_seconds',
    help: 'Store call latency by domain and operation',
    labelNames: ['domain', 'op', 'failed'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly executorRuns = new Counter({
    name: 'enigma_executor_runs_total',
    help: 'Circuit runs by outcome (ok, exit_nonzero, timed_out, error, refused)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: 'enigma_rate_limit_refusals_total',
    help: 'Requests refused by a rate limit or ban, by budget (proof:fail is the per-handle lockout)',
    labelNames: ['scope'],
    registers: [this.registry],
  });
  private readonly executors: Executor[] = [];

  constructor() {
    const executors = this.executors;
    new Gauge({
      name: 'enigma_executor_queue_depth',
      help: 'Circuit runs waiting for a slot',
      registers: [this.registry],
      collect() {
        this.set(executors.reduce((n, e) => n + e.stats.queued, 0));
      },
    });
  }

  /** Counts every answered request; the route is the template (`/api/circuits/:handle`), never the raw URL. */
  installHooks(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      const labels = {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      this.requests.inc(labels);
      this.latency.observe(labels, reply.elapsedTime / 1000);
    });
  }

  store(store: Store): Store {
    const wrapped = new Map<string | symbol, unknown>(
      STORE_DOMAINS.map((domain) => [
        domain,
        observed(store[domain], (op, _a, s, _r, failed) =>
          this.storeLatency.observe({ domain, op, failed: String(failed) }, s),
        ),
      ]),
    );
    return new Proxy(store, { get: (t, prop) => (wrapped.has(prop) ? wrapped.get(prop) : Reflect.get(t, prop, t)) });
  }

  ledger(ledger: Ledger): Ledger {
    return observed(ledger, (op, _a, s, result, failed) => {
      this.ledgerLatency.observe({ op, failed: String(failed) }, s);
      if (op === 'burn')
        this.burns.inc({
          outcome: failed ? 'error' : (result as BurnOutcome).ok ? 'spent' : (result as { reason: string }).reason,
        });
    });
  }

  limiter(limiter: RateLimiter): RateLimiter {
    return observed(limiter, (op, args, _s, result) => {
      if (op !== 'consume' || !result || (result as { ok: boolean }).ok) return;
      const buckets = (args[0] as Parameters<RateLimiter['consume']>[0]).buckets;
      this.refusals.inc({ scope: buckets.at(-1)?.key.split(':').slice(0, 2).join(':') ?? 'none' });
    });
  }

  audit(audit: Audit): Audit {
    return observed(audit, (op, args, _s, _r, failed) => {
      if (op === 'append' && !failed)
        this.proofSteps.inc({ step: (args[0] as AuditEntry).step, outcome: (args[0] as AuditEntry).outcome });
    });
  }

  executor(executor: Executor): Executor {
    this.executors.push(executor);
    return observed(executor, (op, _a, _s, result, failed) => {
      if (op !== 'run') return;
      const r = result as { exit_code: number | null; timed_out: boolean; error?: string } | undefined;
      this.executorRuns.inc({
        outcome:
          failed || !r
            ? 'refused'
            : r.timed_out
              ? 'timed_out'
              : r.error
                ? 'error'
                : r.exit_code === 0
                  ? 'ok'
                  : 'exit_nonzero',
      });
    });
  }
}

/** With `[metrics] enabled`: `GET /metrics` (Prometheus text format; admin bearer token unless `metrics.public`). */
export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics | undefined; config: Config }> = async (
  app,
  { metrics, config },
) => {
  if (!metrics) return;
  app.get(
    '/metrics',
    {
      ...(!config.metrics.public && { onRequest: requireAdmin(config) }),
      schema: {
        tags: ['admin'],
        summary: 'Prometheus metrics (text format); admin bearer token unless metrics.public',
      },
    },
    async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
