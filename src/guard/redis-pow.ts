// Outstanding proof-of-work challenges on Redis, so each solution is single-use across replicas.
import { POW_GRACE_MS, type PowStore } from './pow.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * Outstanding PoW challenges on Redis: `take` is one GETDEL, so of any number of replicas presenting the
 * same solution exactly one gets the challenge. Keys expire by themselves; the number outstanding is
 * bounded by the rate limit on GET /pow/challenge times the TTL.
 */
export class RedisPowStore implements PowStore {
  constructor(
    private readonly conn: RedisConnection,
    /** Keeps the directory's challenges and the proof gateway's apart. */
    private readonly namespace = 'pow:',
  ) {}

  private key = (challenge: string) => `${this.conn.prefix}${this.namespace}${challenge}`;

  async put(challenge: string, difficulty: number, expiresMs: number): Promise<void> {
    const ttl = Math.max(1, expiresMs - Date.now()) + POW_GRACE_MS;
    await this.conn.guarded((r) => r.set(this.key(challenge), `${difficulty}:${expiresMs}`, 'PX', ttl));
  }

  async take(challenge: string): Promise<{ difficulty: number; expiresMs: number } | undefined> {
    const v = await this.conn.guarded((r) => r.getdel(this.key(challenge)));
    if (v === null) return undefined;
    const [difficulty, expiresMs] = v.split(':').map(Number);
    return { difficulty: difficulty!, expiresMs: expiresMs! };
  }
}
