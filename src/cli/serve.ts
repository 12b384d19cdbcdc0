import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, resolveConfig } from '../config/load.js';
import { createLogger, startRegistry } from '../server/start.js';

const USAGE = `usage: enigma-registry serve [--config FILE | FILE]

Without a config file: a local registry on http://127.0.0.1:8443 with an embedded SQLite store and
keys generated under ./data on first run.`;

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1 || (values.config && positionals.length > 0)) {
    console.error(USAGE);
    return 2;
  }
  const path = values.config ?? positionals[0];
  let config;
  try {
    config = path ? loadConfigFile(path) : resolveConfig({ address: '127.0.0.1:8443' });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`enigma-registry: config error: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const log = createLogger(config.log.level);
  if (!path) log.info({ state_dir: config.state_dir, storage: config.storage.path }, 'no config file given: starting a local registry with defaults');
  let running;
  try {
    running = await startRegistry(config, log);
  } catch (e) {
    log.fatal({ err: e }, 'failed to start');
    log.flush();
    console.error(`enigma-registry: failed to start: ${(e as Error).message}`);
    return 1;
  }
  console.log(`enigma-registry listening on ${running.url}`);

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
