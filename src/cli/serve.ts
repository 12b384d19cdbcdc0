import { resolveConfig } from '../config/load.js';
import { startRegistry } from '../server/start.js';
import { runService } from './service.js';

const USAGE = `usage: enigma-registry serve [--config FILE | FILE]

Without a config file: a local registry on http://127.0.0.1:8443 with an embedded SQLite store and
keys generated under ./data on first run.`;

export function main(args: string[]): Promise<number> {
  return runService(
    {
      usage: USAGE,
      name: 'enigma-registry',
      defaults: () => resolveConfig({ address: '127.0.0.1:8443' }),
      start: (config, log, fromFile) => {
        if (!fromFile) log.info({ state_dir: config.state_dir, storage: config.storage.path }, 'no config file given: starting a local registry with defaults');
        return startRegistry(config, log);
      },
    },
    args,
  );
}
