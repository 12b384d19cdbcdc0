// The registry's Fastify app: TLS and mTLS options, OpenAPI, then each domain's routes on the shared base.
import type { FastifyInstance } from 'fastify';
import type { ServerOptions as HttpsOptions } from 'node:https';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import { directoryRoutes } from '../directory/routes.js';
import { registryLedgerRoutes } from '../ledger/routes.js';
import { version } from '../version.js';
import { auditRoutes } from '../audit/routes.js';
import { adminCircuitRoutes } from '../circuits/admin-routes.js';
import { circuitRoutes } from '../circuits/routes.js';
import { proofRoutes } from '../proof/routes.js';
import type { RegistryContext } from './context.js';
import { createHttpApp } from '../http/base.js';
import { healthRoutes } from './health.js';
import { useJsonBodies } from '../http/json-body.js';
import { openapiRoutes } from './openapi.js';
import { ceremonyRoutes } from '../web/routes.js';
import { capConnectionsPerClient, timeoutOptions, TLS_POLICY } from '../http/transport.js';
import { landingRoutes } from '../web/landing.js';
import { metricsRoutes } from './metrics.js';

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
    ...(tls.client_ca_pem_path && {
      ca: read(tls.client_ca_pem_path, 'client_ca_pem_path'),
      requestCert: true,
      rejectUnauthorized: true,
    }),
  };
}

/** Assembles the registry from its services (createRegistry): the shared base, OpenAPI, then each domain's plugin. */
export async function buildApp(ctx: RegistryContext): Promise<FastifyInstance> {
  const https = httpsOptions(ctx);
  const app = createHttpApp(ctx.log, {
    // The socket peer is the client, unless it is a listed proxy: then X-Forwarded-For is walked from the right.
    trustProxy: ctx.config.trusted_proxies.length > 0 ? ctx.config.trusted_proxies : false,
    ...timeoutOptions(ctx.config.http, https),
  });
  capConnectionsPerClient(app.server, ctx.config.http.max_connections_per_ip, ctx.config.trusted_proxies);
  // Counts every request: on the root instance, before any route is registered.
  ctx.metrics?.installHooks(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'enigma-registry',
        version,
        description: 'Enigma node directory and circuit registry / proof gateway',
      },
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
  await app.register(auditRoutes, { audit: ctx.audit, config: ctx.config, prefix: '/api' });
  await app.register(registryLedgerRoutes, { ctx, prefix: '/api/ledger' });
  await app.register(circuitRoutes, {
    catalog: ctx.catalog,
    artifacts: ctx.store.artifacts,
    sealingKeys: ctx.sealingKeys,
    publisherKeys: ctx.publisherKeys,
    limit: ctx.limit,
  });
  await app.register(adminCircuitRoutes, { ctx, catalog: ctx.catalog });
  await app.register(proofRoutes, { gateway: ctx.gateway, receipts: ctx.receipts });
  await app.register(openapiRoutes, { catalog: ctx.catalog });
  await app.register(ceremonyRoutes, { ctx });
  await app.register(landingRoutes, { ctx });
  await app.register(metricsRoutes, { metrics: ctx.metrics, config: ctx.config });
  return app;
}
