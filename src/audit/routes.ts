// `GET /api/audit`: the audit trail for admins.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config/schema.js';
import { ErrorBodySchema } from '../errors.js';
import { requireAdmin } from '../http/admin-auth.js';
import type { Audit } from './audit.js';

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
  next: Type.Union([Type.Integer(), Type.Null()], {
    description: 'cursor for the next page (`after`), null at the end',
  }),
});

/** `GET /audit` (mounted under /api): admin only. */
export const auditRoutes: FastifyPluginAsync<{ audit: Audit; config: Config }> = async (fastify, { audit, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      onRequest: requireAdmin(config),
      schema: {
        tags: ['admin'],
        summary: 'Audit trail of proof steps, oldest first (admin bearer token)',
        description:
          'Needs `Authorization: Bearer <token>` whose SHA-256 is in admin.token_sha256_hex (or an admin mTLS certificate).',
        querystring: AuditQuery,
        response: { 200: AuditReply, 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (req) => audit.list({ after: req.query.after, limit: req.query.limit }),
  );
};
