// Liveness and readiness probes under /api: `/health`, and `/health/db` for the store, the ledger and Redis.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { version } from '../version.js';
import type { RegistryContext } from './context.js';

/** A dependency that does not answer within this is reported down, so probes never hang. */
const PING_TIMEOUT_MS = 2_000;

const Part = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);
const DbReply = Type.Object({ store: Part, ledger: Part, redis: Type.Optional(Part) });

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Liveness and readiness probes (mounted under /api). */
export const healthRoutes: FastifyPluginAsync<{ ctx: Pick<RegistryContext, 'store' | 'ledger' | 'redis'> }> = async (
  fastify,
  { ctx },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];

  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Liveness and version',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), version: Type.String(), uptime_s: Type.Integer() }),
        },
      },
    },
    async () => ({ status: 'ok' as const, version, uptime_s: Math.floor(process.uptime()) }),
  );

  app.get(
    '/health/db',
    {
      schema: {
        tags,
        summary:
          'The store, the ledger and (rate_limit.store = "redis") Redis answer (503 naming the part that does not)',
        response: { 200: DbReply, 503: DbReply },
      },
    },
    async (req, reply) => {
      // Reasons go to the log only: the probe is public and must not describe the infrastructure.
      const check = (part: string, ping: () => Promise<void>) =>
        withTimeout(ping(), PING_TIMEOUT_MS).then(
          () => 'ok' as const,
          (err: unknown) => {
            req.log.warn({ err, part }, 'health check failed');
            return 'unavailable' as const;
          },
        );
      const { redis: r } = ctx;
      const [store, ledger, redis] = await Promise.all([
        check('store', () => ctx.store.ping()),
        check('ledger', () => ctx.ledger.ping()),
        r && check('redis', () => r.ping()),
      ]);
      const ok = store === 'ok' && ledger === 'ok' && (redis === undefined || redis === 'ok');
      return reply.code(ok ? 200 : 503).send({ store, ledger, ...(redis && { redis }) });
    },
  );
};
