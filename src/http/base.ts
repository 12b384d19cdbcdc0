// The Fastify base every server of ours shares (the registry and the standalone ledger), with no domain code.
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Server } from 'node:http';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { Logger } from 'pino';
import { ErrorBodySchema } from '../errors.js';
import { decodeBodies } from './content-encoding.js';
import { clientErrorHandler, expectationFailed, frameworkErrors, installErrorHandling } from './errors-plugin.js';
import { useJsonBodies } from './json-body.js';
import { validatorCompiler } from './validation.js';

export const BODY_LIMIT = 2 * 1024 * 1024;
/**
 * Longest path parameter the router matches. Fastify's default (100) answered longer ones with its own 414
 * before our schemas could say which field is wrong; the request line is bounded anyway by Node's 16 KiB
 * header limit, and every parameter schema bounds its own length.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * A Fastify instance with what every server of ours shares: the 2 MiB body limit, one error envelope (down
 * to requests Node's HTTP parser refuses), strict body validation, JSON-only bodies, and a graceful close
 * (in-flight requests finish, new ones get 503).
 */
export function createHttpApp(
  log: Logger,
  extra: Pick<
    FastifyHttpOptions<Server>,
    'trustProxy' | 'http' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout'
  > & { https?: HttpsOptions } = {},
) {
  const { https, http, ...rest } = extra;
  const options: FastifyHttpOptions<Server> & { https?: HttpsOptions } = {
    loggerInstance: log,
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Node's own answer to a request without Host is an empty 400: errors-plugin answers it with the envelope.
    http: { ...http, requireHostHeader: false },
    frameworkErrors,
    clientErrorHandler,
    ...rest,
    ...(https && { https: { ...https, requireHostHeader: false } }),
  };
  // With `https` Fastify builds a TLS server; its HTTP/1 typings are the same, so one instance type serves both.
  const app = Fastify(options).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  installErrorHandling(app, { maxParamLength: MAX_PARAM_LENGTH });
  app.server.on('checkExpectation', expectationFailed);
  // Only JSON bodies are accepted; Fastify's default text/plain parser would let other types through.
  app.removeContentTypeParser('text/plain');
  useJsonBodies(app);
  decodeBodies(app);
  app.addSchema(ErrorBodySchema);
  return app;
}

/** `scheme://IP:PORT` with the port actually bound (`address = "127.0.0.1:0"` picks one). */
export function boundUrl(app: FastifyInstance, scheme: 'http' | 'https'): string {
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr : { address: '127.0.0.1', port: 0 };
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return `${scheme}://${host}:${bound.port}`;
}
