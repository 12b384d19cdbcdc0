// `GET /`: the landing page for browsers or a JSON index of where to go, and `GET /README.md`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { DEMO_HANDLE, DEMO_SECRET } from '../client/demo.js';
import { packageRoot } from '../paths.js';
import type { WebContext } from './context.js';
import { version } from '../version.js';
import { loadWebAssets } from './assets.js';
import { securityHeaders } from './headers.js';
import { landingPage, type LandingLinks } from './html.js';

const LINKS: LandingLinks['links'] = {
  docs: '/docs',
  openapi: '/api/swagger',
  health: '/api/health',
  circuits: '/api/circuits',
  readme: '/README.md',
};

/** Whether the client asked for HTML (a browser): text/html listed in Accept with a non-zero quality. */
export function wantsHtml(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return type === 'text/html' && (q === undefined || Number(q) > 0);
  });
}

/**
 * `GET /`: a landing page for browsers (by Accept), a JSON index otherwise, linking the docs, health, the
 * circuits and the README; with the local demo on, its ceremony and public secret. `GET /README.md` serves
 * the package's README so the page's "next steps" work offline.
 */
export const landingRoutes: FastifyPluginAsync<{ ctx: WebContext; assetsDir?: string }> = async (
  app,
  { ctx, assetsDir },
) => {
  const style = loadWebAssets(assetsDir)?.style;
  const headers = securityHeaders([]);
  let readme: string | undefined;
  try {
    readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  } catch {
    readme = undefined; // a package without its README: /README.md answers 404 like any unknown path
  }

  const index = async (): Promise<LandingLinks> => {
    const demo = ctx.config.demo.enabled ? await ctx.catalog.currentBuild(DEMO_HANDLE) : undefined;
    return {
      version,
      ...(demo &&
        !demo.revoked && {
          demo: { handle: DEMO_HANDLE, secret: DEMO_SECRET.symbols, ceremony: `/ceremony/${DEMO_HANDLE}` },
        }),
      links: LINKS,
    };
  };

  app.get(
    '/',
    {
      schema: {
        tags: ['web'],
        summary: 'Landing page (text/html for browsers by Accept) or a JSON index of where to go',
      },
    },
    async (req, reply) => {
      const links = await index();
      reply.headers(headers).header('cache-control', 'no-cache').header('vary', 'Accept');
      if (wantsHtml(req.headers.accept)) return reply.type('text/html; charset=utf-8').send(landingPage(links, style));
      return reply.type('application/json; charset=utf-8').send({ name: 'enigma-registry', ...links });
    },
  );

  if (readme !== undefined) {
    const text = readme;
    app.get(
      '/README.md',
      { schema: { tags: ['web'], summary: "The package's README (text/markdown)" } },
      async (_req, reply) =>
        reply.headers(headers).header('cache-control', 'no-cache').type('text/markdown; charset=utf-8').send(text),
    );
  }
};
