// `GET /api/swagger`: the OpenAPI document of every route, or of one circuit's endpoints only.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HANDLE_PATTERN } from '../circuits/manifest.js';
import { ErrorBodySchema, notFound } from '../errors.js';
import type { CircuitCatalog } from '../circuits/catalog.js';

interface OpenApiDoc {
  paths?: Record<
    string,
    Record<string, { parameters?: Array<{ in: string; name: string }> } & Record<string, unknown>>
  >;
  info?: Record<string, unknown>;
  [k: string]: unknown;
}

/** Paths that are one circuit's endpoints: everything templated on `{handle}`. */
const CIRCUIT_PATH = /^\/api\/(circuits|binaries\/handle)\/\{handle\}(\/|$)/;

/**
 * The OpenAPI document of one circuit: its `{handle}` paths with the handle filled in and its path
 * parameter removed, so a client generator gets exactly that circuit's API.
 */
export function scopeToHandle(doc: OpenApiDoc, handle: string): OpenApiDoc {
  const scoped = structuredClone(doc);
  const paths: NonNullable<OpenApiDoc['paths']> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!CIRCUIT_PATH.test(path)) continue;
    const ops = structuredClone(item);
    for (const op of Object.values(ops)) {
      if (op && typeof op === 'object' && Array.isArray(op.parameters))
        op.parameters = op.parameters.filter((p) => !(p.in === 'path' && p.name === 'handle'));
    }
    paths[path.replace('{handle}', encodeURIComponent(handle))] = ops;
  }
  scoped.paths = paths;
  scoped.info = { ...doc.info, title: `${String(doc.info?.title ?? 'enigma-registry')}: circuit ${handle}` };
  return scoped;
}

/** `GET /api/swagger`: the OpenAPI 3 document of every route, or (`?handle=H`) of one circuit. */
export const openapiRoutes: FastifyPluginAsync<{ catalog: Pick<CircuitCatalog, 'currentBuild'> }> = async (
  fastify,
  { catalog },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/swagger',
    {
      schema: {
        tags: ['docs'],
        summary: 'OpenAPI 3 document of this registry',
        description:
          "With `?handle=H`: only that circuit's endpoints, with `{handle}` filled in (404 for an unknown circuit).",
        querystring: Type.Object({ handle: Type.Optional(Type.String({ pattern: HANDLE_PATTERN })) }),
        response: {
          200: Type.Unsafe<OpenApiDoc>({
            type: 'object',
            additionalProperties: true,
            description: 'OpenAPI 3.0 document',
          }),
          404: ErrorBodySchema,
        },
      },
    },
    async (req) => {
      const doc = fastify.swagger() as unknown as OpenApiDoc;
      const handle = req.query.handle;
      if (handle === undefined) return doc;
      if (!(await catalog.currentBuild(handle))) throw notFound(`unknown circuit ${handle}`);
      return scopeToHandle(doc, handle);
    },
  );
};
