import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError, ErrorBodySchema, rateLimited, unauthorized } from '../errors.js';
import { firstPowHeader } from '../guard/pow.js';
import type { RegistryContext } from '../server/context.js';
import { EnvelopeKeyring } from './keyring.js';
import {
  AnnounceBody,
  CheckUserParams,
  EnvelopePubkey,
  ExistsReply,
  MergedReply,
  NodesPayload,
  OkReply,
  PowChallengeReply,
  RegisterBody,
  ResolveBody,
  ResolveReply,
  SyncBody,
} from './schemas.js';
import { Type } from 'typebox';

type Endpoint = 'register' | 'resolve' | 'check_user' | 'global';

const errors = { 400: ErrorBodySchema, 429: ErrorBodySchema };
const tags = ['directory'];

/** The node directory, wire-compatible with enigma-node-registry 0.0.2. */
export const directoryRoutes: FastifyPluginAsync<{ ctx: RegistryContext }> = async (fastify, { ctx }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config, directory } = ctx;
  const rl = config.rate_limit;
  const endpointRps: Record<Endpoint, number | undefined> = {
    register: rl.endpoints.register_rps,
    resolve: rl.endpoints.resolve_rps,
    check_user: rl.endpoints.check_user_rps,
    global: undefined,
  };

  /** Per-IP global bucket plus the endpoint's own; any overrun bans the client for ban_seconds. */
  async function limit(req: FastifyRequest, endpoint: Endpoint): Promise<void> {
    if (!rl.enabled) return;
    const buckets = [{ key: `dir:ip:${req.ip}`, rps: rl.per_ip_rps, burst: rl.burst }];
    const rps = endpointRps[endpoint];
    if (rps !== undefined) buckets.push({ key: `dir:${endpoint}:${req.ip}`, rps, burst: rl.burst });
    const r = await ctx.limiter.consume({ banKey: `dir:ban:${req.ip}`, buckets, banSeconds: rl.ban_seconds });
    if (!r.ok) throw rateLimited(r.retryAfterSec);
  }

  async function requirePow(req: FastifyRequest): Promise<void> {
    await ctx.pow?.verify(firstPowHeader(req.raw)); // the first of repeated headers, as in Rust
  }

  const syncTokens = config.sync.token_sha256_hex.map((h) => Buffer.from(h.toLowerCase(), 'hex'));
  function syncAuthorized(req: FastifyRequest): boolean {
    if (config.allow_sync) return true;
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const digest = createHash('sha256').update(m[1]!).digest();
    return syncTokens.some((t) => timingSafeEqual(t, digest));
  }

  app.post('/register', { schema: { tags, summary: 'Register an identity sealed to the server envelope key', body: RegisterBody, response: { 200: OkReply, 409: ErrorBodySchema, ...errors } } }, async (req) => {
    await limit(req, 'register');
    await directory.register(req.body.handle, req.body.envelope);
    return { ok: true };
  });

  app.post('/resolve', { schema: { tags, summary: 'Resolve a handle; the identity is re-sealed to the requester', body: ResolveBody, response: { 200: ResolveReply, ...errors } } }, async (req) => {
    await limit(req, 'resolve');
    await requirePow(req);
    return { handle: req.body.handle, envelope: await directory.resolve(req.body.handle, req.body.requester_ephemeral_pubkey_hex) };
  });

  app.get('/check_user/:handle', { schema: { tags, summary: 'Whether a handle is registered', params: CheckUserParams, response: { 200: ExistsReply, ...errors } } }, async (req) => {
    await limit(req, 'check_user');
    await requirePow(req);
    return { exists: await directory.exists(req.params.handle) };
  });

  app.post('/announce', { schema: { tags, summary: 'Announce presence (expires after presence.ttl_seconds)', body: AnnounceBody, response: { 200: OkReply, ...errors } } }, async (req) => {
    await limit(req, 'global');
    await directory.announce(req.body);
    return { ok: true };
  });

  app.post(
    '/sync',
    {
      schema: {
        tags,
        summary: 'Merge identities from a peer registry (new valid ones only)',
        description: 'Open when allow_sync = true; otherwise needs `Authorization: Bearer <token>` whose SHA-256 is in sync.token_sha256_hex.',
        body: SyncBody(config.sync.max_identities),
        response: { 200: MergedReply, 401: ErrorBodySchema, ...errors },
      },
    },
    async (req) => {
      if (!syncAuthorized(req)) throw unauthorized(config.allow_sync ? 'sync token refused' : 'sync is disabled on this registry (allow_sync = false) and no valid sync token was given');
      await limit(req, 'global');
      return { merged: await directory.sync(req.body.identities) };
    },
  );

  app.get('/nodes', { schema: { tags, summary: 'Known registry nodes', response: { 200: NodesPayload } } }, async () => ({
    nodes: (await directory.listNodes()).map((base_url) => ({ base_url })),
  }));

  app.post('/nodes', { schema: { tags, summary: 'Add registry nodes (capped at max_nodes)', body: NodesPayload, response: { 200: MergedReply, 400: ErrorBodySchema } } }, async (req) => ({
    merged: await directory.addNodes(req.body.nodes),
  }));

  app.get('/envelope_pubkey', { schema: { tags, summary: 'The active envelope public key', response: { 200: EnvelopePubkey, 500: ErrorBodySchema } } }, async () => {
    const key = directory.keyring.active();
    if (!key) throw new ApiError('INTERNAL', 'no active envelope key');
    return EnvelopeKeyring.publicOf(key);
  });

  app.get('/envelope_pubkeys', { schema: { tags, summary: 'Every envelope public key, in config order', response: { 200: Type.Array(EnvelopePubkey) } } }, async () =>
    directory.keyring.keys.map((k) => EnvelopeKeyring.publicOf(k)),
  );

  const pow = ctx.pow;
  if (pow) {
    app.get('/pow/challenge', { schema: { tags, summary: 'A single-use proof-of-work challenge', response: { 200: PowChallengeReply, 429: ErrorBodySchema } } }, async (req) => {
      await limit(req, 'global'); // issuing costs memory: not a free amplifier
      return pow.issue();
    });
  }
};
