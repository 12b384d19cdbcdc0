// The node directory's HTTP routes: register, resolve, check_user, announce, sync, nodes.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { ApiError, ErrorBodySchema, rateLimited, unauthorized } from '../errors.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { RateLimiter } from '../guard/limiter.js';
import { firstPowHeader, type PowGate } from '../guard/pow.js';
import { validatorCompiler } from '../http/validation.js';
import { fieldCheck, shapeOf } from './field-checks.js';
import { EnvelopeKeyring } from './keyring.js';
import type { DirectoryService } from './service.js';
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
} from '../client/wire-directory.js';
import { Type } from 'typebox';

type Endpoint = 'register' | 'resolve' | 'check_user' | 'global';

/** What a route demands, in the Rust registry's order, once its body has the right JSON shape. */
interface Gate {
  /** Sync needs an authenticated peer (or the anonymous opt-in). */
  syncPeer?: true;
  limit?: Endpoint;
  pow?: true;
}

const errors = { 400: ErrorBodySchema, 429: ErrorBodySchema };
const tags = ['directory'];

/** The node directory, wire-compatible with enigma-node-registry 0.0.2 (differences: README). */
/** What the directory plugin needs from the registry. */
export interface DirectoryContext {
  config: Config;
  directory: DirectoryService;
  limiter: RateLimiter;
  pow: PowGate | undefined;
  log: Pick<Logger, 'warn'>;
}

export const directoryRoutes: FastifyPluginAsync<{ ctx: DirectoryContext }> = async (fastify, { ctx }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config, directory } = ctx;
  const rl = config.rate_limit;
  const endpointRps: Record<Endpoint, number | undefined> = {
    register: rl.endpoints.register_rps,
    resolve: rl.endpoints.resolve_rps,
    check_user: rl.endpoints.check_user_rps,
    global: undefined,
  };
  if (config.sync.allow_anonymous)
    ctx.log.warn(
      'sync.allow_anonymous = true: anyone may POST /sync and claim any user id that is not registered yet; keep it only among trusted networks',
    );

  // Fastify validates only the JSON shape here; the field constraints of the same schemas run in the gate.
  const compileShape = validatorCompiler();
  app.setValidatorCompiler((route) => compileShape({ ...route, schema: shapeOf(route.schema) }));
  const compileFull = validatorCompiler();

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
  const mtls = config.mode === 'tls' && !!config.tls?.client_ca_pem_path;
  /** 'token' for a listed sync token, 'refused' for any other bearer token, undefined without one. */
  function syncToken(req: FastifyRequest): 'token' | 'refused' | undefined {
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const digest = createHash('sha256').update(m[1]!).digest();
    // Every digest is compared, so the time taken does not say which one matched.
    let ok = false;
    for (const t of syncTokens) ok = timingSafeEqual(t, digest) || ok;
    return ok ? 'token' : 'refused';
  }
  const certified = (req: FastifyRequest) => mtls && (req.raw.socket as TLSSocket).authorized === true;
  /** A peer registry: a listed sync token, or a client certificate the TLS layer verified. */
  const authenticatedPeer = (req: FastifyRequest) => syncToken(req) === 'token' || certified(req);

  function requireSyncPeer(req: FastifyRequest): void {
    const token = syncToken(req);
    if (token === 'token') return;
    if (token === 'refused') throw unauthorized('sync token refused');
    if (!config.allow_sync)
      throw unauthorized(
        'sync is disabled on this registry (allow_sync = false); only peers with a sync token may sync',
      );
    if (config.sync.allow_anonymous || certified(req)) return;
    throw unauthorized(
      mtls
        ? 'sync needs a peer registry: a client certificate or Authorization: Bearer <sync token>'
        : 'sync needs a peer registry: Authorization: Bearer <sync token>',
    );
  }

  /**
   * preHandler: peer check, rate limit, PoW, then the field constraints of the route's schema. A callback
   * hook, not an async one: with the rate limit and PoW off (or not on this route) it answers synchronously,
   * where an async hook cost every request a promise and the ticks to settle it.
   */
  function gate(g: Gate) {
    let check: ((req: FastifyRequest) => void) | undefined;
    const fields = (req: FastifyRequest) => {
      check ??= fieldCheck(req.routeOptions.schema ?? {}, compileFull);
      check(req);
    };
    const guarded = async (req: FastifyRequest): Promise<void> => {
      if (g.limit && rl.enabled) await limit(req, g.limit);
      if (g.pow && ctx.pow) await requirePow(req);
      fields(req);
    };
    const mustWait = (g.limit !== undefined && rl.enabled) || (g.pow === true && ctx.pow !== undefined);
    return (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
      try {
        if (g.syncPeer) requireSyncPeer(req);
        if (!mustWait) {
          fields(req);
          done();
          return;
        }
      } catch (e) {
        done(e as Error);
        return;
      }
      guarded(req).then(() => done(), done);
    };
  }

  app.post(
    '/register',
    {
      schema: {
        tags,
        summary: 'Register an identity sealed to the server envelope key',
        body: RegisterBody,
        response: { 200: OkReply, 409: ErrorBodySchema, ...errors },
      },
      preHandler: gate({ limit: 'register' }),
    },
    async (req) => {
      await directory.register(req.body.handle, req.body.envelope);
      return { ok: true };
    },
  );

  app.post(
    '/resolve',
    {
      schema: {
        tags,
        summary: 'Resolve a handle; the identity is re-sealed to the requester',
        body: ResolveBody,
        response: { 200: ResolveReply, ...errors },
      },
      preHandler: gate({ limit: 'resolve', pow: true }),
    },
    async (req) => ({
      handle: req.body.handle,
      envelope: await directory.resolve(req.body.handle, req.body.requester_ephemeral_pubkey_hex),
    }),
  );

  app.get(
    '/check_user/:handle',
    {
      schema: {
        tags,
        summary: 'Whether a handle is registered',
        params: CheckUserParams,
        response: { 200: ExistsReply, ...errors },
      },
      preHandler: gate({ limit: 'check_user', pow: true }),
    },
    async (req) => ({
      exists: await directory.exists(req.params.handle),
    }),
  );

  app.post(
    '/announce',
    {
      schema: {
        tags,
        summary: 'Announce presence (expires after presence.ttl_seconds)',
        body: AnnounceBody,
        response: { 200: OkReply, ...errors },
      },
      preHandler: gate({ limit: 'global' }),
    },
    async (req) => {
      await directory.announce(req.body);
      return { ok: true };
    },
  );

  app.post(
    '/sync',
    {
      schema: {
        tags,
        summary: 'Merge identities from a peer registry (new valid ones only)',
        description:
          'Peers only: `Authorization: Bearer <token>` whose SHA-256 is in sync.token_sha256_hex, or (allow_sync = true, mTLS) a verified client certificate. ' +
          'sync.allow_anonymous = true opens it to anyone, as the Rust registry does. A malformed item refuses the whole batch; well-formed invalid ones are skipped.',
        body: SyncBody(config.sync.max_identities),
        response: { 200: MergedReply, 401: ErrorBodySchema, ...errors },
      },
      preHandler: gate({ syncPeer: true, limit: 'global' }),
    },
    async (req) => ({ merged: await directory.sync(req.body.identities) }),
  );

  app.get(
    '/nodes',
    { schema: { tags, summary: 'Known registry nodes', response: { 200: NodesPayload } } },
    async () => ({
      nodes: (await directory.listNodes()).map((base_url) => ({ base_url })),
    }),
  );

  app.post(
    '/nodes',
    {
      schema: {
        tags,
        summary: 'Add registry nodes (capped at max_nodes, and at nodes.max_per_client per anonymous client)',
        body: NodesPayload,
        response: { 200: MergedReply, 400: ErrorBodySchema },
      },
      preHandler: gate({}),
    },
    async (req) => ({ merged: await directory.addNodes(req.body.nodes, authenticatedPeer(req) ? undefined : req.ip) }),
  );

  app.get(
    '/envelope_pubkey',
    {
      schema: {
        tags,
        summary: 'The active envelope public key',
        response: { 200: EnvelopePubkey, 500: ErrorBodySchema },
      },
    },
    async () => {
      const key = directory.keyring.active();
      if (!key) throw new ApiError('INTERNAL', 'no active envelope key');
      return EnvelopeKeyring.publicOf(key);
    },
  );

  app.get(
    '/envelope_pubkeys',
    {
      schema: {
        tags,
        summary: 'Every envelope public key, in config order',
        response: { 200: Type.Array(EnvelopePubkey) },
      },
    },
    async () => directory.keyring.keys.map((k) => EnvelopeKeyring.publicOf(k)),
  );

  const pow = ctx.pow;
  if (pow) {
    // Issuing costs memory: not a free amplifier, so it is rate limited.
    app.get(
      '/pow/challenge',
      {
        schema: {
          tags,
          summary: 'A single-use proof-of-work challenge',
          response: { 200: PowChallengeReply, 429: ErrorBodySchema },
        },
        preHandler: gate({ limit: 'global' }),
      },
      async () => pow.issue(),
    );
  }
};
