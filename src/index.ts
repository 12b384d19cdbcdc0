// The package's programmatic entry point (`import { startRegistry } from 'enigma-registry'`): run a registry
// inside another program, e.g. an integrator's test suite. The SDK is `enigma-registry/client`.
import './http/tick-object-pin.js'; // first: before any module load can run a full GC
import type { Logger } from 'pino';
import { resolveConfig } from './config/load.js';
import type { Config, ConfigInput } from './config/schema.js';
import { createLogger, startRegistry as start } from './app/start.js';

export { ConfigError, loadConfigFile } from './config/load.js';
export type { Config, ConfigInput } from './config/schema.js';

export interface StartRegistryOptions {
  /** A pino logger; by default JSON logs go to stderr at `config.log.level` (set `log: { level: 'silent' }` to mute). */
  logger?: Logger;
}

export interface Registry {
  /** Base URL with the port actually bound, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The configuration in force, every default filled in. */
  config: Config;
  /** Finishes in-flight requests, then closes the store; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Starts a registry from a configuration object (the TOML file's keys as an object, or `loadConfigFile(path)`'s
 * result). Missing keys take the defaults documented in the README, except `address`, which defaults to
 * `127.0.0.1:0` (loopback, a free port): read the port from `url`. Rejects with a `ConfigError` naming the key
 * when the configuration is invalid, or with the start-up error (nothing is left open then).
 */
export async function startRegistry(config: ConfigInput = {}, options: StartRegistryOptions = {}): Promise<Registry> {
  const resolved = resolveConfig({ address: '127.0.0.1:0', ...config });
  const running = await start(resolved, options.logger ?? createLogger(resolved.log.level));
  return { url: running.url, config: resolved, close: running.close };
}
