// The admin check for audit, publish and revoke routes: a listed bearer token or a verified mTLS certificate.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import { unauthorized } from '../errors.js';

/**
 * onRequest hook for admin routes (audit, publish, revoke): `Authorization: Bearer <token>` whose SHA-256 is
 * in `admin.token_sha256_hex`, or, with `admin.allow_mtls`, a client certificate the TLS layer verified
 * against `tls.client_ca_pem_path`. Throws 401 UNAUTHORIZED otherwise. It runs before the body is read, so
 * a stranger's upload costs no memory; a refused request that carries a body also closes the connection,
 * so the rest of that body is not even received.
 */
export function requireAdmin(config: Config): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const digests = config.admin.token_sha256_hex.map((h) => Buffer.from(h, 'hex'));
  const mtls = config.admin.allow_mtls && config.mode === 'tls' && !!config.tls?.client_ca_pem_path;
  const refuse = (req: FastifyRequest, reply: FastifyReply, message: string) => {
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
      reply.header('connection', 'close');
    return unauthorized(message);
  };
  return async (req, reply) => {
    if (mtls && (req.raw.socket as TLSSocket).authorized === true) return;
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    if (!m) throw refuse(req, reply, 'admin credentials required (Authorization: Bearer <token>)');
    const digest = createHash('sha256').update(m[1]!).digest();
    // Compare against every configured digest so the time taken does not say which one (or none) matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, digest) || ok;
    if (!ok) throw refuse(req, reply, 'admin token refused');
  };
}
