// The Redis connection replicas share for rate limits, bans, lockouts and PoW, failing closed with 503.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';

/** A stalled Redis must not stall requests: each command fails after this. */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * The Redis that replicas share for rate limits, bans, lockouts and PoW challenges. It fails closed: no
 * offline queue and a short command timeout, so while Redis is unreachable every guarded call is refused
 * at once with 503 UNAVAILABLE instead of being let through or left waiting. ioredis keeps reconnecting
 * in the background and service resumes by itself.
 */
export class RedisConnection {
  private down = false;

  private constructor(
    readonly client: Redis,
    /** Prepended to every key (rate_limit.redis_key_prefix). */
    readonly prefix: string,
    private readonly log: Logger,
  ) {
    client.on('error', (err: Error) => {
      if (this.down) return;
      this.down = true;
      log.error({ err }, 'rate-limit store (Redis) unreachable: limited routes answer 503 until it is back');
    });
    client.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      log.info('rate-limit store (Redis) reachable again');
    });
  }

  /**
   * Connects to `url`. A Redis that is down at start does not stop the registry (replicas restart while
   * Redis may be briefly away): the error is logged and the guarded routes fail closed until it answers.
   */
  static async open(o: { url: string; prefix: string; log: Logger }): Promise<RedisConnection> {
    const client = new Redis(o.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000),
    });
    const conn = new RedisConnection(client, o.prefix, o.log);
    await client.connect().catch(() => undefined); // reported by the 'error' handler
    return conn;
  }

  /** Runs `fn`; any Redis failure becomes 503 UNAVAILABLE (the caller must not proceed unguarded). */
  async guarded<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (err) {
      // While the outage is known it was logged once; a stalled but connected Redis is logged per call.
      if (!this.down) this.log.warn({ err }, 'rate-limit store (Redis) call failed');
      throw new ApiError('UNAVAILABLE', 'rate-limit store unreachable', undefined, { 'retry-after': '1' });
    }
  }

  /** A Lua script as a command (EVALSHA, loaded on first use): call it with the number of keys, the keys, then ARGV. */
  script<T>(name: string, lua: string): (numKeys: number, ...args: Array<string | number>) => Promise<T> {
    this.client.defineCommand(name, { lua });
    const client = this.client as unknown as Record<string, (...args: Array<string | number>) => Promise<T>>;
    return (...args) => client[name]!(...args);
  }

  /** Throws when Redis does not answer (health checks). */
  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }
}
