import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { ServerOptions as HttpsOptions } from 'node:https';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { directoryRoutes } from '../directory/routes.js';
import { registryLedgerRoutes } from '../ledger/routes.js';
import { ErrorBodySchema } from '../errors.js';
import { version } from '../version.js';
import { auditRoutes } from './audit.js';
import type { RegistryContext } from './context.js';
import { decodeBodies } from './content-encoding.js';
import { clientErrorHandler, expectationFailed, frameworkErrors, installErrorHandling } from './errors-plugin.js';
import { healthRoutes } from './health.js';
import { useJsonBodies } from './json-body.js';
import { validatorCompiler } from './validation.js';
import { circuitApi } from '../proof/api.js';
import { openapiRoutes } from './openapi.js';
import { ceremonyRoutes } from '../web/routes.js';
import { capConnectionsPerClient, timeoutOptions, TLS_POLICY } from './transport.js';
import { landingRoutes } from '../web/landing.js';
import { installMetrics, metricsRoutes } from './metrics.js';

export const BODY_LIMIT = 2 * 1024 * 1024;
/**
 * Longest path parameter the router matches. Fastify's default (100) answered longer ones with its own 414
 * before our schemas could say which field is wrong; the request line is bounded anyway by Node's 16 KiB
 * header limit, and every parameter schema bounds its own length.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

function httpsOptions(ctx: RegistryContext): HttpsOptions | undefined {
  const tls = ctx.config.tls;
  if (ctx.config.mode !== 'tls' || !tls) return undefined;
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`cannot read tls.${what} (${path}): ${(e as Error).message}`);
    }
  };
  return {
    ...TLS_POLICY,
    cert: read(tls.cert_pem_path, 'cert_pem_path'),
    key: read(tls.key_pem_path, 'key_pem_path'),
    // mTLS: a client without a certificate from this CA is refused during the handshake.
    ...(tls.client_ca_pem_path && { ca: read(tls.client_ca_pem_path, 'client_ca_pem_path'), requestCert: true, rejectUnauthorized: true }),
  };
}

/**
 * A Fastify instance with what every server of ours shares: the 2 MiB body limit, one error envelope (down
 * to requests Node's HTTP parser refuses), strict body validation, JSON-only bodies, and a graceful close
 * (in-flight requests finish, new ones get 503).
 */
export function createHttpApp(
  log: Logger,
  extra: Pick<FastifyHttpOptions<Server>, 'trustProxy' | 'http' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout'> & { https?: HttpsOptions } = {},
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

/** Assembles the registry: the shared base, OpenAPI, then each domain's plugin. */
export async function buildApp(ctx: RegistryContext): Promise<FastifyInstance> {
  const https = httpsOptions(ctx);
  const app = createHttpApp(ctx.log, {
    // The socket peer is the client, unless it is a listed proxy: then X-Forwarded-For is walked from the right.
    trustProxy: ctx.config.trusted_proxies.length > 0 ? ctx.config.trusted_proxies : false,
    ...timeoutOptions(ctx.config.http, https),
  });
  capConnectionsPerClient(app.server, ctx.config.http.max_connections_per_ip, ctx.config.trusted_proxies);
  installMetrics(app, ctx);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'enigma-registry', version, description: 'Enigma node directory and circuit registry / proof gateway' },
      tags: [
        { name: 'directory', description: 'Node directory (enigma-node-registry 0.0.2 wire format)' },
        { name: 'circuits', description: 'Circuit catalog: discovery, manifests, binaries' },
        { name: 'proof', description: 'Challenge → ceremony → validate, receipts, CLI proxy' },
        { name: 'admin', description: 'Publishing, revocation, audit (admin bearer token or mTLS)' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // The directory's wire format (Rust serde, u64 fields) has no fractions or exponents.
  await app.register(async (scope) => {
    useJsonBodies(scope, { integersOnly: true });
    await scope.register(directoryRoutes, { ctx });
  });
  await app.register(healthRoutes, { ctx, prefix: '/api' });
  await app.register(auditRoutes, { ctx, prefix: '/api' });
  await app.register(registryLedgerRoutes, { ctx, prefix: '/api/ledger' });
  await app.register(circuitApi, { ctx });
  await app.register(openapiRoutes, { ctx });
  await app.register(ceremonyRoutes, { ctx });
  await app.register(landingRoutes, { ctx });
  await app.register(metricsRoutes, { ctx });
  return app;
}
