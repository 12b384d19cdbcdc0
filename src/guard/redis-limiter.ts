// Token buckets and bans on Redis, shared by every replica: one atomic script, same rules as the in-process limiter.
import type { Bucket, LimitResult, RateLimiter } from './limiter.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * KEYS[1] = ban key, KEYS[2..] = bucket keys; ARGV[1] = ban ms, then rps and burst of each bucket.
 * Returns {1, 0} when a token was taken from every bucket, else {0, retry-after ms}.
 * The same algorithm as MemoryRateLimiter, on Redis's clock (replicas' clocks do not matter). A bucket
 * key expires once it would have refilled completely, so idle clients cost nothing.
 */
const CONSUME_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ban = redis.call('PTTL', KEYS[1])
if ban > 0 then return {0, ban} end
local tokens = {}
for i = 2, #KEYS do
  local rps = tonumber(ARGV[2 * i - 2])
  local burst = tonumber(ARGV[2 * i - 1])
  local s = redis.call('HMGET', KEYS[i], 't', 'at')
  local tok = burst
  if s[1] then tok = math.min(burst, tonumber(s[1]) + (now - tonumber(s[2])) / 1000 * rps) end
  if tok < 1 then
    local ban_ms = tonumber(ARGV[1])
    if ban_ms > 0 then
      redis.call('SET', KEYS[1], '1', 'PX', ban_ms)
      return {0, ban_ms}
    end
    return {0, math.ceil((1 - tok) / rps * 1000)}
  end
  tokens[i] = tok
end
for i = 2, #KEYS do
  local rps = tonumber(ARGV[2 * i - 2])
  local burst = tonumber(ARGV[2 * i - 1])
  redis.call('HSET', KEYS[i], 't', tostring(tokens[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rps * 1000) + 1000)
end
return {1, 0}
`;

/**
 * Token buckets and bans on Redis, shared by every replica (rate_limit.store = "redis").
 *
 * Why a Lua script rather than rate-limiter-flexible: that library's Redis limiters count points in fixed
 * windows (or in a pair of windows with BurstyRateLimiter), which is not a token bucket with fractional
 * refill, and its unions consume limiters one after another, so a refusal by one bucket would still have
 * spent tokens from the others. One script run by Redis atomically takes a token from every bucket or
 * from none, sets the ban in the same step, and behaves exactly like the in-process limiter.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly run;

  constructor(private readonly conn: RedisConnection) {
    this.run = conn.script<[number, number]>('enigmaConsume', CONSUME_LUA);
  }

  async consume(req: { banKey: string; buckets: Bucket[]; banSeconds: number }): Promise<LimitResult> {
    const p = this.conn.prefix;
    const keys = [p + req.banKey, ...req.buckets.map((b) => p + b.key)];
    const args = [Math.round(req.banSeconds * 1000), ...req.buckets.flatMap((b) => [b.rps, b.burst])];
    const [ok, ms] = await this.conn.guarded(() => this.run(keys.length, ...keys, ...args));
    if (ok === 1) return { ok: true };
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil(ms / 1000)) };
  }

  async banned(banKey: string): Promise<number> {
    const ms = await this.conn.guarded((r) => r.pttl(this.conn.prefix + banKey));
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  /** The connection is shared with the PoW store; its owner closes it. */
  async close(): Promise<void> {}
}
