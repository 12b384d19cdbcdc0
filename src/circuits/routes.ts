import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError, ErrorBodySchema } from '../errors.js';
import type { BuildRecord } from '../storage/circuits.js';
import { ArtifactCorruptError, type ArtifactStore } from '../storage/artifacts.js';
import { manifestOf, type CircuitCatalog } from './catalog.js';
import type { ApiEndpoint } from './limits.js';
import { verifyManifest } from './manifest.js';
import { parseRange } from './range.js';
import { BuildParams, CircuitDetail, CircuitList, Build, HandleParams, ListQuery, Manifest, SealingKeyReply, VerifyReply } from './schemas.js';
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

export const buildPath = (b: Pick<BuildRecord, 'handle' | 'build_id'>) =>
  `${encodeURIComponent(b.handle)}/builds/${encodeURIComponent(b.build_id)}`;

/** What identifies a build and what it runs; both the build view and the verify reply start with these. */
const buildIdentity = (b: BuildRecord) => ({
  handle: b.handle,
  build_id: b.build_id,
  version: b.version,
  sha256: b.sha256,
  kind: b.kind,
  size: b.size,
  commands: manifestOf(b).commands,
});

export function buildView(b: BuildRecord) {
  return {
    ...buildIdentity(b),
    published_at: new Date(b.created_at).toISOString(),
    revoked: b.revoked,
    manifest_url: `/api/circuits/${buildPath(b)}/manifest`,
    binary_url: `/api/binaries/handle/${buildPath(b)}`,
  };
}

/** Discovery (`/api/circuits...`), binaries (`/api/binaries/handle/...`) and the sealing key. */
export const circuitRoutes: FastifyPluginAsync<CircuitRoutesOptions> = async (fastify, o) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = o;

  app.get('/api/circuits', { schema: { tags, summary: 'List circuits (by handle, paginated)', querystring: ListQuery, response: { 200: CircuitList } } }, async (req) => {
    const page = await catalog.list({ limit: req.query.limit, ...(req.query.after !== undefined && { after: req.query.after }) });
    return { circuits: page.circuits.map((c) => ({ handle: c.handle, builds: c.builds, current: buildView(c.current) })), next: page.next };
  });

  app.get('/api/circuits/sealing-key', { schema: { tags, summary: 'The X25519 key `circuit mint` seals verifier secrets to', response: { 200: SealingKeyReply, 503: ErrorBodySchema } } }, async () => {
    const key = o.sealingKeys.active();
    if (!key) throw new ApiError('UNAVAILABLE', 'no active unexpired circuit sealing key is configured');
    return key;
  });

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

  app.get('/api/circuits/:handle', { schema: { tags, summary: 'A circuit: its current build and every build', params: HandleParams, response: { 200: CircuitDetail, ...e404 } } }, async (req) =>
    detail(req.params.handle),
  );
  app.get('/api/circuits/:handle/manifest', { schema: { tags, summary: "The current build's signed manifest", params: HandleParams, response: { 200: Manifest, ...e404 } } }, async (req) =>
    manifestOf(await catalog.build(req.params.handle)),
  );
  app.get(
    '/api/circuits/:handle/verify',
    { schema: { tags, summary: 'Check the current build: signature, artifact hash, revocation', params: HandleParams, response: { 200: VerifyReply, ...e404 } } },
    async (req) => verify(await catalog.build(req.params.handle)),
  );
  app.get('/api/circuits/:handle/builds/:build_id', { schema: { tags, summary: 'One build', params: BuildParams, response: { 200: Build, ...e404 } } }, async (req) =>
    buildView(await catalog.build(req.params.handle, req.params.build_id)),
  );
  app.get('/api/circuits/:handle/builds/:build_id/manifest', { schema: { tags, summary: "A build's signed manifest", params: BuildParams, response: { 200: Manifest, ...e404 } } }, async (req) =>
    manifestOf(await catalog.build(req.params.handle, req.params.build_id)),
  );
  app.get(
    '/api/circuits/:handle/builds/:build_id/verify',
    { schema: { tags, summary: 'Check one build: signature, artifact hash, revocation', params: BuildParams, response: { 200: VerifyReply, ...e404 } } },
    async (req) => verify(await catalog.build(req.params.handle, req.params.build_id)),
  );

  const binaryResponses = {
    200: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'the artifact (206 with Range)' }),
    206: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'the requested byte range' }),
    304: Type.Unsafe<Uint8Array>({ description: 'If-None-Match matched the ETag' }),
    416: ErrorBodySchema,
    429: ErrorBodySchema,
    ...e404,
  };
  const binaryDescription =
    'Streams the artifact. Headers: `X-ENI6MA-SHA256`, `X-ENI6MA-Version`, `X-ENI6MA-Build-ID`, `X-ENI6MA-Manifest-URL` (path of the build manifest), ' +
    '`ETag` ("<sha256>"), `Accept-Ranges: bytes`. One `Range: bytes=` range is served (206, or 416 when unsatisfiable). Revoked builds stay downloadable (for forensics) and say so in `X-ENI6MA-Revoked`.';

  /** Sends a build's bytes, honouring If-None-Match and a single Range; HEAD gets the same headers. */
  async function sendBinary(req: FastifyRequest, reply: FastifyReply, handle: string, buildId?: string) {
    await o.limit(req, 'binary', handle);
    const b = await catalog.build(handle, buildId);
    const etag = `"${b.sha256}"`;
    reply
      .header('x-eni6ma-sha256', b.sha256)
      .header('x-eni6ma-version', b.version)
      .header('x-eni6ma-build-id', b.build_id)
      .header('x-eni6ma-manifest-url', `/api/circuits/${buildPath(b)}/manifest`)
      .header('x-eni6ma-revoked', String(b.revoked))
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'public, max-age=31536000, immutable') // content-addressed: the bytes behind an ETag never change
      .header('content-disposition', `attachment; filename="${b.handle}-${b.build_id}.${b.kind === 'wasm' ? 'wasm' : 'bin'}"`);
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send();
    const { bytes } = await catalog.artifact(b);
    reply.type(b.kind === 'wasm' ? 'application/wasm' : 'application/octet-stream');
    const range = parseRange(req.headers.range, bytes.length);
    if (range === 'unsatisfiable') {
      throw new ApiError('RANGE_NOT_SATISFIABLE', `range not satisfiable for ${bytes.length} bytes`, undefined, { 'content-range': `bytes */${bytes.length}` });
    }
    if (range) {
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${bytes.length}`)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset + range.start, range.end - range.start + 1));
    }
    return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  app.get(
    '/api/binaries/handle/:handle',
    { schema: { tags, summary: "Download the current build's artifact (GET or HEAD)", description: binaryDescription, params: HandleParams, response: binaryResponses } },
    async (req, reply) => sendBinary(req, reply, req.params.handle),
  );
  app.get(
    '/api/binaries/handle/:handle/builds/:build_id',
    { schema: { tags, summary: "Download a pinned build's artifact (GET or HEAD)", description: binaryDescription, params: BuildParams, response: binaryResponses } },
    async (req, reply) => sendBinary(req, reply, req.params.handle, req.params.build_id),
  );
};
