import type { Logger } from 'pino';
import { hexToBytes } from '../crypto/encoding.js';
import { x25519Generate } from '../crypto/x25519.js';
import { bytesToHex } from '../crypto/encoding.js';
import { systemClock, type Clock } from '../config/clock.js';
import type { Config } from '../config/schema.js';
import { configuredOrGenerated, newKeyEntry } from '../config/state.js';
import { DirectoryService } from '../directory/service.js';
import { EnvelopeKeyring } from '../directory/keyring.js';
import type { RateLimiter } from '../guard/limiter.js';
import { MemoryRateLimiter } from '../guard/memory-limiter.js';
import { MemoryPowStore, PowGate } from '../guard/pow.js';
import { RedisConnection } from '../guard/redis-connection.js';
import { RedisRateLimiter } from '../guard/redis-limiter.js';
import { RedisPowStore } from '../guard/redis-pow.js';
import type { Ledger } from '../ledger/ledger.js';
import { openLedger, type OpenedLedger } from '../ledger/open.js';
import { openConfiguredStore } from '../storage/index.js';
import type { Store } from '../storage/store.js';
import { randomBytes } from 'node:crypto';
import { createAudit, type Audit } from '../audit/audit.js';
import { Metrics } from './metrics.js';

/** Everything a running registry holds; built once at start, closed once at shutdown. */
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

export async function createContext(config: Config, log: Logger, opts: ContextOptions = {}): Promise<RegistryContext> {
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
  let ledger: OpenedLedger | undefined;
  let audit: Audit;
  let redis: RedisConnection | undefined;
  try {
    ledger = openLedger(config, store, log, clock);
    audit = createAudit(store.audit, config);
    if (metrics) audit = metrics.audit(audit);
    // Replicas share buckets, bans, lockouts and PoW challenges through one Redis.
    redis =
      rl.store === 'redis'
        ? await RedisConnection.open({ url: rl.redis_url!, prefix: rl.redis_key_prefix, log })
        : undefined;
  } catch (e) {
    // A failed start must not leave the store open (SQLite's WAL and checkpoint thread, PostgreSQL's pool).
    ledger?.stop();
    await store.close();
    throw e;
  }
  const bareLimiter: RateLimiter = redis
    ? new RedisRateLimiter(redis)
    : new MemoryRateLimiter(config.rate_limit.max_entries, clock);
  const limiter = metrics ? metrics.limiter(bareLimiter) : bareLimiter;
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

  return {
    config,
    log,
    store,
    limiter,
    pow,
    redis,
    directory,
    ledger: metrics ? metrics.ledger(ledger.ledger) : ledger.ledger,
    audit,
    metrics,
    clock,
    async close() {
      clearInterval(gc);
      ledger.stop();
      await limiter.close();
      await redis?.close();
      await store.close();
    },
  };
}
