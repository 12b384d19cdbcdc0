// The guess budget's failure counters on Redis, shared by every replica and bumped atomically by one script.
import type { FailureMeter, MeterKey } from './failure-meter.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * KEYS = counters; ARGV[1] = now (ms), then per key its drain per ms and the amount to add (negative refunds).
 * Returns each level as a string (Redis would truncate a Lua number to an integer). A bumped key expires
 * once it would have drained to 0, so idle counters cost nothing.
 */
const LEVELS_LUA = `
local now = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i])
  local add = tonumber(ARGV[2 * i + 1])
  local s = redis.call('HMGET', KEYS[i], 'l', 'at')
  local l = 0
  if s[1] then l = math.max(0, tonumber(s[1]) - math.max(0, now - tonumber(s[2])) * rate) end
  l = math.max(0, l + add)
  if add ~= 0 then
    redis.call('HSET', KEYS[i], 'l', tostring(l), 'at', tostring(now))
    redis.call('PEXPIRE', KEYS[i], math.ceil(l / rate) + 1000)
  end
  out[i] = tostring(l)
end
return out
`;

/** Failure counters on Redis, shared by every replica; one script reads and bumps all keys atomically. */
export class RedisFailureMeter implements FailureMeter {
  private readonly run;

  constructor(private readonly conn: RedisConnection) {
    this.run = conn.script<string[]>('enigmaLevels', LEVELS_LUA);
  }

  async levels(keys: MeterKey[], now: number): Promise<number[]> {
    const names = keys.map((k) => this.conn.prefix + k.key);
    const args = keys.flatMap((k) => [k.drainPerSec / 1000, k.add]);
    const out = await this.conn.guarded(() => this.run(names.length, ...names, now, ...args));
    return out.map(Number);
  }
}
