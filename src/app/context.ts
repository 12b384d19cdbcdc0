// The composition root: createRegistry() builds every service of a running registry, and closes them all.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createAudit, type Audit } from '../audit/audit.js';
import { CircuitCatalog } from '../circuits/catalog.js';
import { demoPublisher, seedDemoCircuit } from '../circuits/demo.js';
import { apiLimiter } from '../circuits/limits.js';
import { SealingKeys } from '../circuits/sealing-keys.js';
import { DEMO_SECRET } from '../client/demo.js';
import { systemClock, type Clock } from '../config/clock.js';
import type { Config } from '../config/schema.js';
import { configuredOrGenerated, newKeyEntry } from '../config/state.js';
import { bytesToHex, hexToBytes } from '../crypto/encoding.js';
import { x25519Generate } from '../crypto/x25519.js';
import { EnvelopeKeyring } from '../directory/keyring.js';
import { DirectoryService } from '../directory/service.js';
import { Executor } from '../executor/index.js';
import { MemoryFailureMeter } from '../guard/failure-meter.js';
import type { RateLimiter } from '../guard/limiter.js';
import { MemoryRateLimiter } from '../guard/memory-limiter.js';
import { MemoryPowStore, PowGate } from '../guard/pow.js';
import { RedisConnection } from '../guard/redis-connection.js';
import { RedisFailureMeter } from '../guard/redis-failure-meter.js';
import { RedisRateLimiter } from '../guard/redis-limiter.js';
import { RedisPowStore } from '../guard/redis-pow.js';
import type { Ledger } from '../ledger/ledger.js';
import { openLedger } from '../ledger/open.js';
import { TauBinder } from '../proof/binding.js';
import { ProofGateway } from '../proof/gateway.js';
import { GuessBudget } from '../proof/guess-budget.js';
import { ReceiptSigner } from '../proof/receipts.js';
import { openConfiguredStore } from '../storage/index.js';
import type { Store } from '../storage/store.js';
import { Metrics } from './metrics.js';

/** Everything a running registry holds; built once at start by createRegistry(), closed once at shutdown. */
export interface RegistryContext {
  config: Config;
  log: Logger;
  store: Store;
  limiter: RateLimiter;
  pow: PowGate | undefined;
  /** The Redis behind `limiter` and `pow` when rate_limit.store = "redis" (health checks ping it). */
  redis: RedisConnection | undefined;
  directory: DirectoryService;
  /** The default nonce ledger: embedded on `store`, or the remote service at `ledger.url` (see ledger/pick.ts). */
  ledger: Ledger;
  /** Audit trail of proof steps; `audit.actor(req.ip)` hashes the client address. */
  audit: Audit;
  /** With `[metrics] enabled`: the Prometheus registry the parts above report to. */
  metrics: Metrics | undefined;
  /** What every time-dependent part reads as "now" (ContextOptions.clock, else the system clock). */
  clock: Clock;
  /** Publishing and lookup of circuits over `store` (cached); every reader of circuits asks it, not the store. */
  catalog: CircuitCatalog;
  /** The publisher keys that publish and /verify trust: the configured ones, plus the demo's own while it is on. */
  publisherKeys: readonly string[];
  sealingKeys: SealingKeys;
  receipts: ReceiptSigner;
  /** Runs circuits in their sandbox; close() shuts it down. */
  executor: Executor;
  /** The per-IP and per-handle budgets of the /api endpoints, on `limiter` (circuits/limits.ts). */
  limit: ReturnType<typeof apiLimiter>;
  /** Challenge → validate and the CLI proxy. */
  gateway: ProofGateway;
  close(): Promise<void>;
}

/** The configured envelope section, or one generated into state_dir on first run and reused after. */
function envelopeConfig(config: Config, log: Logger): NonNullable<Config['envelope']> {
  return configuredOrGenerated(config.envelope, {
    stateDir: config.state_dir,
    name: 'envelope',
    what: '[envelope]',
    noun: 'an envelope key and pepper',
    log,
    generate: () => ({
      pepper_hex: randomBytes(32).toString('hex'),
      keys: [newKeyEntry(bytesToHex(x25519Generate().privateKey))],
    }),
  });
}

export interface ContextOptions {
  /** What the ledger, the in-memory rate limits and presence expiry read as "now"; the system clock by default. */
  clock?: Clock;
}

/** The seed secret: `proof.seed_secret_hex`, or one generated into state_dir on first run and kept. */
function seedSecret(config: Config, log: Logger): Uint8Array {
  const { seed_secret_hex } = configuredOrGenerated(
    config.proof.seed_secret_hex === undefined ? undefined : { seed_secret_hex: config.proof.seed_secret_hex },
    {
      stateDir: config.state_dir,
      name: 'proof-seed',
      what: 'proof.seed_secret_hex',
      noun: 'a seed secret',
      log,
      generate: () => ({ seed_secret_hex: randomBytes(32).toString('hex') }),
    },
  );
  return Buffer.from(seed_secret_hex, 'hex');
}

export async function createRegistry(config: Config, log: Logger, opts: ContextOptions = {}): Promise<RegistryContext> {
  const envelope = envelopeConfig(config, log);
  const keyring = new EnvelopeKeyring(envelope.keys);
  for (const k of keyring.expired())
    log.warn({ kid: k.kidHex }, 'envelope key has passed not_after_epoch_ms and will not be used');
  if (!keyring.active())
    log.warn('no active unexpired envelope key: /resolve and /envelope_pubkey will fail until one is configured');
  if (config.storage.kind === 'sled')
    log.info({ path: config.storage.path }, 'storage.kind = "sled" is served by the embedded SQLite store');

  const clock = opts.clock ?? systemClock;
  const rl = config.rate_limit;
  if (rl.store === 'redis' && !rl.redis_url)
    throw new Error('rate_limit.redis_url is required when rate_limit.store = "redis"');

  const metrics = config.metrics.enabled ? new Metrics() : undefined;
  const opened = await openConfiguredStore(config, log);
  const store = metrics ? metrics.store(opened) : opened;
  // What is open so far, closed last opened first: by close(), or at once when the start fails half-way, which
  // must not leave anything open (SQLite's WAL and checkpoint thread, PostgreSQL's pool, Redis, the executor).
  const closers: (() => unknown)[] = [() => store.close()];
  const close = async () => {
    for (let c = closers.pop(); c; c = closers.pop()) await c();
  };
  try {
    const openedLedger = openLedger(config, store, log, clock);
    closers.push(() => openedLedger.stop());
    const ledger = metrics ? metrics.ledger(openedLedger.ledger) : openedLedger.ledger;
    const bareAudit = createAudit(store.audit, config);
    const audit = metrics ? metrics.audit(bareAudit) : bareAudit;
    // Replicas share buckets, bans, lockouts and PoW challenges through one Redis.
    const redis =
      rl.store === 'redis'
        ? await RedisConnection.open({ url: rl.redis_url!, prefix: rl.redis_key_prefix, log })
        : undefined;
    if (redis) closers.push(() => redis.close());
    const bareLimiter: RateLimiter = redis
      ? new RedisRateLimiter(redis)
      : new MemoryRateLimiter(config.rate_limit.max_entries, clock);
    const limiter = metrics ? metrics.limiter(bareLimiter) : bareLimiter;
    closers.push(() => limiter.close());
    const powStore = redis ? new RedisPowStore(redis) : new MemoryPowStore(config.pow.max_outstanding, clock);
    const pow = config.pow.enabled
      ? new PowGate(powStore, config.pow.difficulty, config.pow.ttl_seconds, clock)
      : undefined;
    const directory = new DirectoryService({
      store: store.directory,
      keyring,
      pepper: hexToBytes(envelope.pepper_hex.toLowerCase()),
      maxNodes: config.max_nodes,
      nodesPerClient: config.nodes.max_per_client,
      presenceMaxEntries: config.presence.max_entries,
      clock,
    });

    const retainMs = config.audit.retain_days * 86_400_000;
    const gc = setInterval(() => {
      directory.gcPresence(config.presence.ttl_seconds).then(
        (n) => n > 0 && log.debug({ purged: n }, 'presence gc'),
        (err: unknown) => log.error({ err }, 'presence gc failed'),
      );
      if (retainMs > 0) {
        audit.prune(clock.now() - retainMs).then(
          (n) => n > 0 && log.debug({ purged: n }, 'audit gc'),
          (err: unknown) => log.error({ err }, 'audit gc failed'),
        );
      }
    }, config.presence.gc_interval_seconds * 1000).unref();
    closers.push(() => clearInterval(gc));

    // The local demo signs its circuit with its own key: trusted (for publish and /verify) only while it is on.
    const demo = config.demo.enabled ? demoPublisher(config) : undefined;
    const publisherKeys = [...config.circuits.publisher_public_keys_hex, ...(demo ? [demo.publicHex] : [])];
    const catalog = new CircuitCatalog(
      store.circuits,
      store.artifacts,
      { ...config, circuits: { ...config.circuits, publisher_public_keys_hex: publisherKeys } },
      store.catalogChanges(),
    );
    const sealingKeys = new SealingKeys(config, log);
    const receipts = new ReceiptSigner(config, log);
    const bareExecutor = new Executor(config.executor, log);
    const executor = metrics ? metrics.executor(bareExecutor) : bareExecutor;
    closers.push(() => executor.close());
    const limit = apiLimiter(limiter, config);
    // Failure counters and the proof's PoW challenges live where the rate limits do: Redis shares them across replicas.
    const meter = redis ? new RedisFailureMeter(redis) : new MemoryFailureMeter(config.rate_limit.max_entries);
    const proofPowStore = redis
      ? new RedisPowStore(redis, 'proof-pow:')
      : new MemoryPowStore(config.pow.max_outstanding, clock);
    const budget = new GuessBudget(meter, config, clock);
    const proofPow = new PowGate(proofPowStore, config.proof.pow_min_difficulty, config.pow.ttl_seconds, clock);
    const gateway = new ProofGateway({
      ctx: { config, log, audit, ledger },
      catalog,
      executor,
      binder: new TauBinder(seedSecret(config, log)),
      receipts,
      sealingKeys,
      limit,
      budget,
      pow: proofPow,
    });

    if (demo) {
      const b = await seedDemoCircuit({ catalog, sealingKeys, publisher: demo, log });
      if (b)
        log.warn(
          { handle: b.handle, secret: DEMO_SECRET.symbols, build_id: b.build_id },
          'LOCAL DEMO: circuit "demo" is published with a public secret; never enable [demo] on a shared registry',
        );
    }

    return {
      config,
      log,
      store,
      limiter,
      pow,
      redis,
      directory,
      ledger,
      audit,
      metrics,
      clock,
      catalog,
      publisherKeys,
      sealingKeys,
      receipts,
      executor,
      limit,
      gateway,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
