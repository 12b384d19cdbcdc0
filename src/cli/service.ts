// The life of a long-running command (registry, ledger): config, logger, start, status line, graceful stop.
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../app/start.js';

export interface ServiceSpec {
  usage: string;
  /** Name in the status line: `<name> listening on URL`. */
  name: string;
  /** Config to use when no file is given; without it a file is required. */
  defaults?: () => Config;
  /** `notice`: lines for a person, printed after the status line. */
  start(
    config: Config,
    log: Logger,
    fromFile: boolean,
  ): Promise<{ url: string; close(): Promise<void>; notice?: string }>;
}

/**
 * The life of a long-running command: config (file or defaults; errors exit 1 naming the key), logger,
 * start, one status line on stdout, then the first SIGINT/SIGTERM finishes in-flight work and exits 0;
 * a second one exits 1 at once.
 */
export async function runService(spec: ServiceSpec, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(spec.usage);
    return 0;
  }
  const path = values.config ?? positionals[0];
  if (positionals.length > (values.config ? 0 : 1) || (!path && !spec.defaults)) {
    console.error(spec.usage);
    return 2;
  }
  let config: Config;
  try {
    config = path ? loadConfigFile(path) : spec.defaults!();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`enigma-registry: config error: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const log = createLogger(config.log.level);
  let running: Awaited<ReturnType<ServiceSpec['start']>>;
  try {
    running = await spec.start(config, log, path !== undefined);
  } catch (e) {
    log.fatal({ err: e }, 'failed to start');
    log.flush();
    console.error(`enigma-registry: ${spec.name} failed to start: ${(e as Error).message}`);
    return 1;
  }
  console.log(`${spec.name} listening on ${running.url}`);
  if (running.notice) console.log(running.notice);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        resolve(1);
        return;
      }
      stopping = true;
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      running.close().then(
        () => {
          log.info('stopped cleanly');
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'error while shutting down');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
