import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { ApiError } from '../errors.js';

/** Fastify's own errors that are the client's fault, mapped to our codes. */
const FASTIFY_CODES: Record<string, [ApiError['code'], string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'request body exceeds the 2 MiB limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'unsupported content type; send application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_INPUT', 'content-length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_INPUT', 'empty JSON body'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_INPUT', 'body is not valid JSON'],
};

function toApiError(err: FastifyError): ApiError {
  if (err instanceof ApiError) return err;
  if (err.validation) {
    const context = err.validationContext ?? 'request';
    const details = err.validation.map((v) => ({
      field: `${context}${v.instancePath.replaceAll('/', '.')}`,
      problem: v.keyword === 'additionalProperties' ? `unknown field ${(v.params as { additionalProperty?: string }).additionalProperty}` : v.message,
    }));
    const first = details[0];
    return new ApiError('INVALID_INPUT', first ? `invalid input: ${first.field} ${first.problem}` : 'invalid input', details);
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return new ApiError(mapped[0], mapped[1]);
  if (err instanceof SyntaxError || err.statusCode === 400) return new ApiError('INVALID_INPUT', 'malformed request');
  return new ApiError('INTERNAL', 'internal error');
}

/**
 * One error envelope for every failure, including Fastify's own (validation, body limits, content
 * types) and unknown routes: 404 for unknown paths, 405 with `Allow` for a known path's wrong method.
 */
export function installErrorHandling(app: FastifyInstance): void {
  const known = FindMyWay({ ignoreTrailingSlash: false });
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      try {
        known.on(m as 'GET', route.url, () => undefined);
      } catch {
        // duplicate shape of an already-known path: nothing to add
      }
    }
  });

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const api = toApiError(err);
    if (api.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: api.code, msg: api.message }, 'request refused');
    void reply.code(api.status).headers(api.headers ?? {}).type('application/json').send(api.body());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const allowed = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter((m) => known.find(m, path) !== null);
    const err = allowed.length
      ? new ApiError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed on ${path}`, { allow: allowed }, { allow: allowed.join(', ') })
      : new ApiError('NOT_FOUND', `no route for ${req.method} ${path}`);
    void reply.code(err.status).headers(err.headers ?? {}).type('application/json').send(err.body());
  });
}
