// Starting a registry from a config: context, app and listen, plus the close that lets in-flight requests finish.
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { parseAddress } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { boundUrl } from '../http/base.js';
import { buildApp } from './app.js';
import { createRegistry, type ContextOptions, type RegistryContext } from './context.js';

export interface RunningRegistry {
  app: FastifyInstance;
  ctx: RegistryContext;
  /** Base URL with the port actually bound, e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

/** Logs go to stderr as JSON (pino); stdout carries only the status line scripts wait for. */
export function createLogger(level: Config['log']['level']): Logger {
  return pino({ level, base: { service: 'enigma-registry' } }, pino.destination({ fd: 2, sync: false }));
}

export async function startRegistry(
  config: Config,
  log: Logger = createLogger(config.log.level),
  opts: ContextOptions = {},
): Promise<RunningRegistry> {
  const ctx = await createRegistry(config, log, opts);
  let app: FastifyInstance;
  try {
    app = await buildApp(ctx);
    const { host, port } = parseAddress(config.address);
    await app.listen({ host, port });
  } catch (e) {
    await ctx.close();
    throw e;
  }
  const url = boundUrl(app, config.mode === 'tls' ? 'https' : 'http');
  let closing: Promise<void> | undefined;
  return {
    app,
    ctx,
    url,
    // In-flight requests finish (Fastify stops accepting, then waits), then the store closes.
    close: () => (closing ??= app.close().then(() => ctx.close())),
  };
}
