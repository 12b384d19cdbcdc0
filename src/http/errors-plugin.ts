// One error envelope for every failure: Fastify's, the HTTP parser's, unknown routes (404) and wrong methods (405).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, invalidField, invalidInput } from '../errors.js';

/** Fastify's own errors that are the client's fault, mapped to our codes. */
const FASTIFY_CODES: Record<string, [ApiError['code'], string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'request body exceeds the size limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'UNSUPPORTED_MEDIA_TYPE',
    'unsupported content type; send JSON (application/json, text/json or application/*+json)',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_INPUT', 'content-length does not match the body'],
  FST_ERR_BAD_URL: ['INVALID_INPUT', 'the path has a malformed percent-escape'],
  FST_ERR_MAX_PARAM_LENGTH: ['INVALID_INPUT', 'a path segment is too long'],
};

/** Errors of Node's HTTP parser (llhttp) and server, answered before any request object exists. */
const PARSER_CODES: Record<string, [ApiError['code'], string]> = {
  HPE_HEADER_OVERFLOW: ['HEADERS_TOO_LARGE', 'request line and headers exceed the size limit'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: ['PAYLOAD_TOO_LARGE', 'chunk extensions exceed the size limit'],
  ERR_HTTP_REQUEST_TIMEOUT: ['REQUEST_TIMEOUT', 'the request was not received in time'],
  HPE_INVALID_METHOD: ['INVALID_INPUT', 'malformed HTTP request: unknown method'],
  HPE_INVALID_CONTENT_LENGTH: ['INVALID_INPUT', 'malformed HTTP request: invalid Content-Length'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [
    'INVALID_INPUT',
    'malformed HTTP request: Content-Length repeated or sent with Transfer-Encoding',
  ],
  HPE_INVALID_CHUNK_SIZE: ['INVALID_INPUT', 'malformed HTTP request: invalid chunk size'],
};

/** A validation failure names the field and the problem, e.g. `invalid input: body.ts_ms must be integer`. */
function validationError(err: FastifyError & { validation: NonNullable<FastifyError['validation']> }): ApiError {
  const v = err.validation[0];
  if (!v) return invalidInput('invalid input');
  const problem =
    v.keyword === 'additionalProperties'
      ? `unknown field ${(v.params as { additionalProperty?: string }).additionalProperty}`
      : (v.message ?? 'is invalid');
  return invalidField(`${err.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}`, problem);
}

function toApiError(err: FastifyError): ApiError {
  if (err instanceof ApiError) return err;
  if (err.validation) return validationError(err as Parameters<typeof validationError>[0]);
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return new ApiError(mapped[0], mapped[1]);
  if (err instanceof SyntaxError || err.statusCode === 400) return new ApiError('INVALID_INPUT', 'malformed request');
  return new ApiError('INTERNAL', 'internal error');
}

function sendError(reply: FastifyReply, api: ApiError): void {
  void reply
    .code(api.status)
    .headers(api.headers ?? {})
    .type('application/json')
    .send(api.body());
}

/** Fastify's `frameworkErrors`: a bad percent-escape or an over-long path segment, before routing. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const api = toApiError(err);
  req.log.info({ code: api.code, msg: api.message }, 'request refused');
  sendError(reply, api);
}

/**
 * Fastify's `clientErrorHandler` (the HTTP server's `clientError`): the request could not even be parsed,
 * so the envelope goes out as a raw HTTP/1.1 response on the socket, which is then closed. Works on TLS
 * sockets alike.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way cannot be replaced by another one: just close.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [code, message] = PARSER_CODES[err.code ?? ''] ?? ['INVALID_INPUT', 'malformed HTTP request'];
  const api = new ApiError(code, message, err.code ? { reason: err.code } : undefined);
  const body = JSON.stringify(api.body());
  const head = `HTTP/1.1 ${api.status} ${STATUS_CODES[api.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(head + body, () => socket.destroy());
}

/** The HTTP server's `checkExpectation` (an `Expect` other than 100-continue): Node's own answer is an empty 417. */
export function expectationFailed(req: IncomingMessage, res: ServerResponse): void {
  const api = new ApiError(
    'EXPECTATION_FAILED',
    `unsupported expectation: ${req.headers.expect}; only 100-continue is supported`,
  );
  const body = JSON.stringify(api.body());
  res
    .writeHead(api.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    })
    .end(body);
}

/** Route params of a found route that are empty (`/check_user/`): such a path names nothing, so it is a 404. */
function hasEmptyParam(params: unknown): boolean {
  const values = params as Record<string, string>;
  for (const name in values) if (name !== '*' && values[name] === '') return true;
  return false;
}

/**
 * One error envelope for every failure, including Fastify's own (validation, body limits, content
 * types) and unknown routes: 404 for unknown paths, 405 with `Allow` for a known path's wrong method.
 */
export function installErrorHandling(app: FastifyInstance, router: { maxParamLength: number }): void {
  const known = FindMyWay({ ignoreTrailingSlash: false, maxParamLength: router.maxParamLength });
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

  const notFound = (req: FastifyRequest) => {
    const path = req.url.split('?')[0] ?? '/';
    const allowed = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter((m) => {
      const match = known.find(m, path);
      return match !== null && !hasEmptyParam(match.params);
    });
    return allowed.length
      ? new ApiError(
          'METHOD_NOT_ALLOWED',
          `method ${req.method} not allowed on ${path}`,
          { allow: allowed },
          { allow: allowed.join(', ') },
        )
      : new ApiError('NOT_FOUND', `no route for ${req.method} ${path}`);
  };

  // Node's own "no Host" answer is an empty 400 (createHttpApp turns it off): HTTP/1.1 requires Host (RFC 9112 §3.2).
  // Both refusals are sent here, not thrown: a route's own error handler (the HTML ceremony page) would make them 500s.
  app.addHook('onRequest', (req, reply, done) => {
    const refusal =
      req.raw.httpVersion === '1.1' && req.headers.host === undefined
        ? invalidInput('missing Host header')
        : hasEmptyParam(req.params)
          ? notFound(req)
          : undefined;
    if (refusal) sendError(reply, refusal);
    else done();
  });

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const api = toApiError(err);
    if (api.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: api.code, msg: api.message }, 'request refused');
    sendError(reply, api);
  });

  app.setNotFoundHandler((req, reply) => sendError(reply, notFound(req)));
}
