// Circuit discovery routes under /api/circuits: list, detail, manifests, verify, and the sealing key.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, ErrorBodySchema } from '../errors.js';
import type { BuildRecord } from '../storage/circuits.js';
import { ArtifactCorruptError, type ArtifactStore } from '../storage/artifacts.js';
import { manifestOf, type CircuitCatalog } from './catalog.js';
import { binaryRoutes } from './binary-routes.js';
import type { ApiEndpoint } from './limits.js';
import { verifyManifest } from './manifest.js';
import { buildIdentity, buildView } from './views.js';
import {
  BuildParams,
  CircuitDetail,
  CircuitList,
  Build,
  HandleParams,
  ListQuery,
  Manifest,
  SealingKeyReply,
  VerifyReply,
} from './schemas.js';
import type { SealingKeys } from './sealing-keys.js';

export interface CircuitRoutesOptions {
  catalog: CircuitCatalog;
  artifacts: ArtifactStore;
  sealingKeys: SealingKeys;
  publisherKeys: readonly string[];
  limit: (req: FastifyRequest, endpoint: ApiEndpoint, handle: string) => Promise<void>;
}

const tags = ['circuits'];
const e404 = { 404: ErrorBodySchema };

/** Discovery (`/api/circuits...`), the sealing key, and the binaries (binary-routes.ts). */
export const circuitRoutes: FastifyPluginAsync<CircuitRoutesOptions> = async (fastify, o) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = o;

  app.get(
    '/api/circuits',
    {
      schema: {
        tags,
        summary: 'List circuits (by handle, paginated)',
        querystring: ListQuery,
        response: { 200: CircuitList },
      },
    },
    async (req) => {
      const page = await catalog.list({
        limit: req.query.limit,
        ...(req.query.after !== undefined && { after: req.query.after }),
      });
      return {
        circuits: page.circuits.map((c) => ({ handle: c.handle, builds: c.builds, current: buildView(c.current) })),
        next: page.next,
      };
    },
  );

  app.get(
    '/api/circuits/sealing-key',
    {
      schema: {
        tags,
        summary: 'The X25519 key `circuit mint` seals verifier secrets to',
        response: { 200: SealingKeyReply, 503: ErrorBodySchema },
      },
    },
    async () => {
      const key = o.sealingKeys.active();
      if (!key) throw new ApiError('UNAVAILABLE', 'no active unexpired circuit sealing key is configured');
      return key;
    },
  );

  async function detail(handle: string) {
    const builds = await catalog.listBuilds(handle);
    if (builds.length === 0) throw new ApiError('NOT_FOUND', `unknown circuit ${handle}`);
    return { handle, current: buildView(builds[0]!), builds: builds.map(buildView) };
  }

  async function verify(b: BuildRecord) {
    const m = manifestOf(b);
    let artifact: 'ok' | 'missing' | 'corrupt';
    try {
      artifact = (await o.artifacts.get(b.sha256)) ? 'ok' : 'missing';
    } catch (e) {
      if (!(e instanceof ArtifactCorruptError)) throw e;
      artifact = 'corrupt';
    }
    return {
      ...buildIdentity(b),
      publisher_public_key_hex: m.publisher_public_key_hex,
      signature: verifyManifest(m, o.publisherKeys) ? ('valid' as const) : ('invalid' as const),
      artifact,
      revoked: b.revoked,
    };
  }

  app.get(
    '/api/circuits/:handle',
    {
      schema: {
        tags,
        summary: 'A circuit: its current build and every build',
        params: HandleParams,
        response: { 200: CircuitDetail, ...e404 },
      },
    },
    async (req) => detail(req.params.handle),
  );
  app.get(
    '/api/circuits/:handle/manifest',
    {
      schema: {
        tags,
        summary: "The current build's signed manifest",
        params: HandleParams,
        response: { 200: Manifest, ...e404 },
      },
    },
    async (req) => manifestOf(await catalog.build(req.params.handle)),
  );
  app.get(
    '/api/circuits/:handle/verify',
    {
      schema: {
        tags,
        summary: 'Check the current build: signature, artifact hash, revocation',
        params: HandleParams,
        response: { 200: VerifyReply, ...e404 },
      },
    },
    async (req) => verify(await catalog.build(req.params.handle)),
  );
  app.get(
    '/api/circuits/:handle/builds/:build_id',
    { schema: { tags, summary: 'One build', params: BuildParams, response: { 200: Build, ...e404 } } },
    async (req) => buildView(await catalog.build(req.params.handle, req.params.build_id)),
  );
  app.get(
    '/api/circuits/:handle/builds/:build_id/manifest',
    {
      schema: { tags, summary: "A build's signed manifest", params: BuildParams, response: { 200: Manifest, ...e404 } },
    },
    async (req) => manifestOf(await catalog.build(req.params.handle, req.params.build_id)),
  );
  app.get(
    '/api/circuits/:handle/builds/:build_id/verify',
    {
      schema: {
        tags,
        summary: 'Check one build: signature, artifact hash, revocation',
        params: BuildParams,
        response: { 200: VerifyReply, ...e404 },
      },
    },
    async (req) => verify(await catalog.build(req.params.handle, req.params.build_id)),
  );

  await app.register(binaryRoutes, { catalog, limit: o.limit });
};
