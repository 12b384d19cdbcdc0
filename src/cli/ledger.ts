import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { startLedgerService } from '../ledger/service.js';
import { createLogger } from '../server/start.js';

const USAGE = `usage: enigma-registry ledger --config FILE

Serves the nonce ledger alone (POST /reserve, POST /response, GET /status/{uuid}, GET /events, GET /health)
at ledger.address, on the config's [storage]. A registry uses it with ledger.url = "http://ADDRESS".`;

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const path = values.config ?? positionals[0];
  if (!path || positionals.length > (values.config ? 0 : 1)) {
    console.error(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfigFile(path);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`enigma-registry: config error: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const log = createLogger(config.log.level);
  let running;
  try {
    running = await startLedgerService(config, log);
  } catch (e) {
    log.fatal({ err: e }, 'failed to start');
    log.flush();
    console.error(`enigma-registry: failed to start the ledger: ${(e as Error).message}`);
    return 1;
  }
  console.log(`enigma-registry ledger listening on ${running.url}`);

  // First signal: finish in-flight requests, then exit 0. A second one exits at once.
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return resolve(1);
      stopping = true;
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      running.close().then(
        () => resolve(0),
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
