// The hosted ceremony page `GET /ceremony/{handle}` with its HTML error pages, and its built assets.
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DEMO_HANDLE, DEMO_SECRET } from '../client/demo.js';
import { notFound } from '../errors.js';
import type { WebContext } from './context.js';
import { loadWebAssets } from './assets.js';
import { securityHeaders } from './headers.js';
import { ceremonyPage, messagePage } from './html.js';
import { checkOpenerOrigin, checkReturnTo, relyingParties } from './relying-party.js';

const tags = ['web'];

/** `GET /ceremony/{handle}` (the hosted six-zone ceremony page) and its built assets. */
export const ceremonyRoutes: FastifyPluginAsync<{ ctx: WebContext; assetsDir?: string }> = async (
  fastify,
  { ctx, assetsDir },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const assets = loadWebAssets(assetsDir);
  if (!assets) ctx.log.warn('ceremony page assets are not built (npm run build): /ceremony/{handle} answers 503');
  const rp = relyingParties(ctx.config.ceremony);
  const headers = securityHeaders(rp.frameAncestors);

  const html = (reply: FastifyReply, status: number, body: string, keepOpener = false) =>
    reply
      .code(status)
      .headers(keepOpener ? securityHeaders(rp.frameAncestors, { keepOpener }) : headers)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(body);
  const errorPage = (reply: FastifyReply, status: number, title: string, message: string) =>
    html(reply, status, messagePage(title, message, assets?.style));
  /** A relying party this registry does not list: why, and that the receipt only goes to listed sites. */
  const relyingPartyRefused = (reply: FastifyReply, reason: string, receiptCan: 'returned to' | 'sent to') =>
    errorPage(
      reply,
      400,
      'Relying party not allowed',
      `${reason}. The receipt can only be ${receiptCan} a site this registry lists.`,
    );

  app.get(
    '/ceremony/:handle',
    {
      schema: {
        tags,
        summary: 'Hosted six-zone ceremony page (text/html)',
        description:
          'An HTML page that runs the challenge → ceremony → validate flow for this circuit in the browser. ' +
          '`return_to` (origin in ceremony.return_to_origins) receives the receipt as `#receipt=<JWS>`; `opener_origin` (in ceremony.opener_origins) ' +
          'receives it by postMessage `{type:"eni6ma:receipt", receipt}`. Refused relying parties get a 400 page, unknown circuits a 404 page.',
        params: Type.Object({ handle: Type.String({ minLength: 1, maxLength: 100 }) }),
        querystring: Type.Object({
          return_to: Type.Optional(Type.String({ description: 'URL to navigate to with the receipt in its fragment' })),
          opener_origin: Type.Optional(
            Type.String({ description: 'origin of window.opener (or the framing page) to post the receipt to' }),
          ),
        }),
      },
      // Malformed requests get an HTML page too: this route is opened by people, not API clients.
      errorHandler: (err: FastifyError, req, reply) => {
        if (err.validation) return errorPage(reply, 400, 'Bad request', err.message);
        req.log.error({ err }, 'ceremony page failed');
        return errorPage(
          reply,
          500,
          'Something went wrong',
          'The ceremony page could not be prepared. Please try again later.',
        );
      },
    },
    async (req, reply) => {
      const { handle } = req.params;
      const returnTo = checkReturnTo(req.query.return_to, rp);
      if (!returnTo.ok) return relyingPartyRefused(reply, returnTo.reason, 'returned to');
      const opener = checkOpenerOrigin(req.query.opener_origin, rp);
      if (!opener.ok) return relyingPartyRefused(reply, opener.reason, 'sent to');
      const build = await ctx.catalog.currentBuild(handle);
      if (!build)
        return errorPage(reply, 404, 'Unknown circuit', `There is no circuit called "${handle}" on this registry.`);
      if (build.revoked)
        return errorPage(
          reply,
          403,
          'Circuit revoked',
          `The current build of "${handle}" has been revoked; ask its owner for a new one.`,
        );
      if (!assets)
        return errorPage(
          reply,
          503,
          'Ceremony page unavailable',
          'The page assets have not been built on this server (npm run build).',
        );
      const note =
        ctx.config.demo.enabled && handle === DEMO_HANDLE
          ? `Local demo: the secret is ${DEMO_SECRET.symbols}.`
          : undefined;
      return html(
        reply,
        200,
        ceremonyPage({ handle, assets, returnTo: returnTo.value, openerOrigin: opener.value, note }),
        opener.value !== undefined,
      );
    },
  );

  app.get(
    '/ceremony/assets/:file',
    {
      schema: {
        tags,
        summary: 'Ceremony page script or stylesheet (content-hashed name, cached for a year)',
        params: Type.Object({ file: Type.String({ maxLength: 128 }) }),
      },
    },
    async (req, reply) => {
      const asset = assets?.files.get(req.params.file);
      if (!asset)
        return reply
          .code(404)
          .headers(headers)
          .type('application/json')
          .send(notFound(`no asset ${req.params.file}`).body());
      // The name carries the content hash, so the bytes behind a name never change.
      return reply
        .headers(headers)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(asset.type)
        .send(asset.body);
    },
  );
};
