// Artifact downloads: `GET|HEAD /api/binaries/handle/{handle}[/builds/{build_id}]`, with ETag and one Range.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError, ErrorBodySchema } from '../errors.js';
import type { CircuitCatalog } from './catalog.js';
import type { ApiEndpoint } from './limits.js';
import { parseRange } from './range.js';
import { BuildParams, HandleParams } from './schemas.js';
import { buildPath } from './views.js';

export interface BinaryRoutesOptions {
  catalog: CircuitCatalog;
  limit: (req: FastifyRequest, endpoint: ApiEndpoint, handle: string) => Promise<void>;
}

const tags = ['circuits'];

export const binaryRoutes: FastifyPluginAsync<BinaryRoutesOptions> = async (fastify, { catalog, limit }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const binaryResponses = {
    200: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'the artifact (206 with Range)' }),
    206: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'the requested byte range' }),
    304: Type.Unsafe<Uint8Array>({ description: 'If-None-Match matched the ETag' }),
    416: ErrorBodySchema,
    429: ErrorBodySchema,
    404: ErrorBodySchema,
  };
  const binaryDescription =
    'Streams the artifact. Headers: `X-ENI6MA-SHA256`, `X-ENI6MA-Version`, `X-ENI6MA-Build-ID`, `X-ENI6MA-Manifest-URL` (path of the build manifest), ' +
    '`ETag` ("<sha256>"), `Accept-Ranges: bytes`. One `Range: bytes=` range is served (206, or 416 when unsatisfiable). Revoked builds stay downloadable (for forensics) and say so in `X-ENI6MA-Revoked`.';

  /** Sends a build's bytes, honouring If-None-Match and a single Range; HEAD gets the same headers. */
  async function sendBinary(req: FastifyRequest, reply: FastifyReply, handle: string, buildId?: string) {
    await limit(req, 'binary', handle);
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
      .header(
        'content-disposition',
        `attachment; filename="${b.handle}-${b.build_id}.${b.kind === 'wasm' ? 'wasm' : 'bin'}"`,
      );
    const inm = req.headers['if-none-match'];
    if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send();
    const { bytes } = await catalog.artifact(b);
    reply.type(b.kind === 'wasm' ? 'application/wasm' : 'application/octet-stream');
    const range = parseRange(req.headers.range, bytes.length);
    if (range === 'unsatisfiable') {
      throw new ApiError('RANGE_NOT_SATISFIABLE', `range not satisfiable for ${bytes.length} bytes`, undefined, {
        'content-range': `bytes */${bytes.length}`,
      });
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
    {
      schema: {
        tags,
        summary: "Download the current build's artifact (GET or HEAD)",
        description: binaryDescription,
        params: HandleParams,
        response: binaryResponses,
      },
    },
    async (req, reply) => sendBinary(req, reply, req.params.handle),
  );
  app.get(
    '/api/binaries/handle/:handle/builds/:build_id',
    {
      schema: {
        tags,
        summary: "Download a pinned build's artifact (GET or HEAD)",
        description: binaryDescription,
        params: BuildParams,
        response: binaryResponses,
      },
    },
    async (req, reply) => sendBinary(req, reply, req.params.handle, req.params.build_id),
  );
};
