// The nonce ledger's HTTP routes (reserve, burn, status, events, health), and their mount at /api/ledger.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, ErrorBodySchema, notFound, rateLimited } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { RateLimiter } from '../guard/limiter.js';
import type { Ledger } from './ledger.js';
import { burnRefused } from './refusals.js';
import {
  EventsQuery,
  EventsReply,
  HealthReply,
  ReservationReply,
  ReserveBody,
  ResponseBody,
  SpentReply,
  StatusParams,
  StatusReply,
} from './schemas.js';

export interface LedgerRoutesOptions {
  ledger: Ledger;
  maxTtlSeconds: number;
  /** Per-request admission (rate limits) where the service is public; throws to refuse. */
  admit?: (req: FastifyRequest) => Promise<void>;
}

const tags = ['ledger'];

/** The nonce ledger service (DESIGN §5): the registry mounts it at /api/ledger, `enigma-registry ledger` at /. */
export const ledgerRoutes: FastifyPluginAsync<LedgerRoutesOptions> = async (
  fastify,
  { ledger, maxTtlSeconds, admit },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  if (admit) app.addHook('preHandler', admit);

  app.post(
    '/reserve',
    {
      schema: {
        tags,
        summary: 'Reserve a nonce (state RESERVED until burnt or expired)',
        body: ReserveBody(maxTtlSeconds),
        response: { 200: ReservationReply, 400: ErrorBodySchema, 429: ErrorBodySchema },
      },
    },
    async (req) => ledger.reserve(req.body.ttl === undefined ? {} : { ttlSeconds: req.body.ttl }),
  );

  app.post(
    '/response',
    {
      schema: {
        tags,
        summary: 'Burn a nonce: RESERVED → SPENT exactly once',
        description:
          '409 REPLAY when already spent, 410 EXPIRED, 400 TAU_MISMATCH (the nonce stays burnable), 404 NOT_FOUND. The payload is never stored.',
        body: ResponseBody,
        response: {
          200: SpentReply,
          400: ErrorBodySchema,
          404: ErrorBodySchema,
          409: ErrorBodySchema,
          410: ErrorBodySchema,
          429: ErrorBodySchema,
        },
      },
    },
    async (req) => {
      const r = await ledger.burn(req.body.uuid, req.body.tau);
      if (!r.ok) throw burnRefused(r.reason);
      return { uuid: req.body.uuid.toLowerCase(), state: 'SPENT' as const };
    },
  );

  app.get(
    '/status/:uuid',
    {
      schema: {
        tags,
        summary: 'State of a nonce',
        params: StatusParams,
        response: { 200: StatusReply, 400: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema },
      },
    },
    async (req) => {
      const s = await ledger.status(req.params.uuid);
      if (!s) throw notFound('unknown nonce');
      return s;
    },
  );

  app.get(
    '/events',
    {
      schema: {
        tags,
        summary: 'Ledger event feed (no PII), oldest first',
        querystring: EventsQuery,
        response: { 200: EventsReply, 400: ErrorBodySchema, 429: ErrorBodySchema },
      },
    },
    async (req) => ledger.events({ after: req.query.after, limit: req.query.limit }),
  );

  app.get(
    '/health',
    { schema: { tags, summary: 'The ledger can answer', response: { 200: HealthReply, 503: ErrorBodySchema } } },
    async (req) => {
      await ledger.ping().catch((err: unknown) => {
        req.log.error({ err }, 'ledger health check failed');
        throw new ApiError('UNAVAILABLE', 'ledger store unavailable');
      });
      return { status: 'ok' as const };
    },
  );
};

/**
 * The registry's embedded ledger over HTTP at /api/ledger, under the per-IP budget of the proof routes.
 * Nothing is mounted when the registry uses a remote ledger (`ledger.url`): it is not the registry's to serve.
 */
export const registryLedgerRoutes: FastifyPluginAsync<{
  ctx: { config: Pick<Config, 'ledger' | 'rate_limit' | 'proof'>; ledger: Ledger; limiter: RateLimiter };
}> = async (app, { ctx }) => {
  if (ctx.config.ledger.url) return;
  const rl = ctx.config.rate_limit;
  const p = ctx.config.proof;
  await app.register(ledgerRoutes, {
    ledger: ctx.ledger,
    maxTtlSeconds: ctx.config.ledger.max_ttl_seconds,
    admit: async (req) => {
      if (!rl.enabled) return;
      const r = await ctx.limiter.consume({
        banKey: `ledger:ban:${req.ip}`,
        buckets: [{ key: `ledger:ip:${req.ip}`, rps: p.challenge_rps, burst: p.burst }],
        banSeconds: 0,
      });
      if (!r.ok) throw rateLimited(r.retryAfterSec);
    },
  });
};
