// Per-IP and per-handle rate budgets of the /api proof endpoints (challenge, validate, CLI proxy, binaries).
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import { rateLimited } from '../errors.js';
import type { RateLimiter } from '../guard/limiter.js';

export type ApiEndpoint = 'challenge' | 'validate' | 'cli' | 'binary';

/**
 * Per-IP and per-handle budgets of the /api endpoints ([proof] *_rps, handle_rps, burst). Overruns are
 * refused with 429 + Retry-After, without a ban: these budgets pace clients, the lockout stops guessing.
 */
export function apiLimiter(limiter: RateLimiter, config: Pick<Config, 'proof' | 'rate_limit'>) {
  const p = config.proof;
  const rps: Record<ApiEndpoint, number> = {
    challenge: p.challenge_rps,
    validate: p.validate_rps,
    cli: p.cli_rps,
    binary: p.binary_rps,
  };
  return async (req: FastifyRequest, endpoint: ApiEndpoint, handle: string): Promise<void> => {
    if (!config.rate_limit.enabled) return;
    const r = await limiter.consume({
      banKey: `api:ban:${req.ip}`,
      buckets: [
        { key: `api:${endpoint}:ip:${req.ip}`, rps: rps[endpoint], burst: p.burst },
        {
          key: `api:${endpoint}:handle:${handle}`,
          rps: p.handle_rps,
          burst: Math.max(p.burst, Math.ceil(p.handle_rps)),
        },
      ],
      banSeconds: 0,
    });
    if (!r.ok) throw rateLimited(r.retryAfterSec);
  };
}
