// The admin circuit routes: publishing a signed build and revoking builds by artifact SHA-256.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBodySchema, invalidInput } from '../errors.js';
import { parseBase64 } from '../crypto/encoding.js';
import { requireAdmin } from '../http/admin-auth.js';
import type { Audit } from '../audit/audit.js';
import type { Config } from '../config/schema.js';
import type { CircuitCatalog } from './catalog.js';
import { buildView } from './views.js';
import { Build, PublishBody, RevokeBody, RevokeReply } from './schemas.js';

const tags = ['admin'];
const auth =
  'Needs `Authorization: Bearer <token>` whose SHA-256 is in admin.token_sha256_hex (or an admin mTLS client certificate).';
const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  409: ErrorBodySchema,
  413: ErrorBodySchema,
};

/** Publishing and revocation (admin only). */
export const adminCircuitRoutes: FastifyPluginAsync<{
  ctx: { config: Config; audit: Audit };
  catalog: CircuitCatalog;
}> = async (fastify, { ctx, catalog }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const onRequest = requireAdmin(ctx.config);
  const audit = (ip: string, step: string, outcome: string, e: { handle?: string; sha256?: string; detail?: string }) =>
    ctx.audit.append({ at: Date.now(), actor: ctx.audit.actor(ip), step, outcome, ...e });

  app.post(
    '/api/admin/circuits',
    {
      onRequest,
      // base64 inflates by 4/3; leave room for the manifest.
      bodyLimit: Math.ceil((ctx.config.circuits.max_artifact_bytes * 4) / 3) + 64 * 1024,
      schema: {
        tags,
        summary: 'Publish a circuit build',
        description:
          `${auth} Body: JSON \`{manifest, artifact_base64}\` (what \`circuit mint\` writes). The registry checks the manifest schema, ` +
          'its Ed25519 signature against circuits.publisher_public_keys_hex (403 when no key matches), size and SHA-256 against the bytes, ' +
          'that a wasm module compiles and imports only WASI preview 1 functions (an elf must be ELF), and circuits.max_artifact_bytes (413). ' +
          "The new build becomes the handle's current build; an existing (handle, build_id) or a revoked SHA-256 is 409.",
        body: PublishBody,
        response: { 201: Build, ...errors },
      },
    },
    async (req, reply) => {
      const bytes = parseBase64(req.body.artifact_base64);
      if (!bytes) throw invalidInput('artifact_base64 is not base64');
      try {
        const b = await catalog.publish(req.body.manifest, bytes);
        await audit(req.ip, 'publish', 'ok', { handle: b.handle, sha256: b.sha256, detail: b.build_id });
        return reply.code(201).send(buildView(b));
      } catch (e) {
        await audit(req.ip, 'publish', 'refused', { detail: (e as Error).message.slice(0, 200) });
        throw e;
      }
    },
  );

  app.post(
    '/api/admin/revocations',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Revoke every build with this artifact SHA-256',
        description: `${auth} From then on challenge, validate and the CLI proxy refuse those builds with 403 FORBIDDEN (details.reason = "revoked"); a SHA-256 not (yet) published is revoked in advance.`,
        body: RevokeBody,
        response: { 200: RevokeReply, 400: ErrorBodySchema, 401: ErrorBodySchema },
      },
    },
    async (req) => {
      const n = await catalog.revoke(req.body.sha256);
      await audit(req.ip, 'revoke', 'ok', { sha256: req.body.sha256 });
      return { sha256: req.body.sha256, revoked_builds: n };
    },
  );
};
