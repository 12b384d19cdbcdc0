import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config/schema.js';
import { loadOrCreateSecret } from '../config/state.js';
import { ErrorBodySchema } from '../errors.js';
import type { AuditStore } from '../storage/audit.js';
import { requireAdmin } from './admin-auth.js';
import type { RegistryContext } from './context.js';

/** Audit `actor`: HMAC-SHA256(salt, ip) in hex, so events from one client correlate without storing its address. */
export function hashActor(ip: string, salt: Uint8Array): string {
  return createHmac('sha256', salt).update(ip).digest('hex');
}

/** The audit trail as the proof flow uses it: `ctx.audit.append({..., actor: ctx.audit.actor(req.ip)})`. */
export interface Audit extends AuditStore {
  actor(ip: string): string;
}

/** The salt: `audit.salt_hex` (shared by replicas), else generated into state_dir on first run and kept, so hashes stay comparable. */
export function createAudit(store: AuditStore, config: Config): Audit {
  const salt_hex = config.audit.salt_hex ?? loadOrCreateSecret(config.state_dir, 'audit', () => ({ salt_hex: randomBytes(32).toString('hex') })).value.salt_hex;
  const salt = Buffer.from(salt_hex, 'hex');
  return { append: (e) => store.append(e), list: (o) => store.list(o), prune: (before) => store.prune(before), actor: (ip) => hashActor(ip, salt) };
}

const AuditQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, default: 0, description: 'return events with seq > after' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

const AuditReply = Type.Object({
  events: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: Type.Integer(),
      actor: Type.String({ description: 'HMAC-SHA256 of the client address under the registry audit salt' }),
      handle: Type.Optional(Type.String()),
      sha256: Type.Optional(Type.String()),
      nonce: Type.Optional(Type.String()),
      step: Type.String(),
      outcome: Type.String(),
      detail: Type.Optional(Type.String()),
    }),
  ),
  next: Type.Union([Type.Integer(), Type.Null()], { description: 'cursor for the next page (`after`), null at the end' }),
});

/** `GET /audit` (mounted under /api): admin only. */
export const auditRoutes: FastifyPluginAsync<{ ctx: RegistryContext }> = async (fastify, { ctx }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      onRequest: requireAdmin(ctx.config),
      schema: {
        tags: ['admin'],
        summary: 'Audit trail of proof steps, oldest first (admin bearer token)',
        description: 'Needs `Authorization: Bearer <token>` whose SHA-256 is in admin.token_sha256_hex (or an admin mTLS certificate).',
        querystring: AuditQuery,
        response: { 200: AuditReply, 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (req) => ctx.audit.list({ after: req.query.after, limit: req.query.limit }),
  );
};
