// `enigma-registry serve`: runs the registry from a config file, or a local one with the demo circuit.
import { resolveConfig } from '../config/load.js';
import { startRegistry } from '../app/start.js';
import { DEMO_HANDLE, DEMO_SECRET } from '../client/demo.js';
import { runService } from './service.js';

/** The lines a person reads after `npm start`: where to go, and the demo's (public) secret. */
function demoNotice(url: string): string {
  return [
    `LOCAL DEMO: circuit "${DEMO_HANDLE}" with the public secret ${DEMO_SECRET.symbols} (for trying things only)`,
    `  open ${url}/ in a browser, or the ceremony at ${url}/ceremony/${DEMO_HANDLE}`,
    `  or in this terminal: npx enigma-registry prove ${DEMO_HANDLE} --registry ${url}`,
  ].join('\n');
}

const USAGE = `usage: enigma-registry serve [--config FILE | FILE]

Without a config file: a local registry on http://127.0.0.1:8443 with an embedded SQLite store and
keys generated under ./data on first run, and the local demo circuit "demo" (secret ${DEMO_SECRET.symbols}).
With a config file nothing is seeded unless it sets [demo] enabled = true.`;

export function main(args: string[]): Promise<number> {
  return runService(
    {
      usage: USAGE,
      name: 'enigma-registry',
      // No config file: a local registry to try things on, with the demo circuit.
      defaults: () => resolveConfig({ address: '127.0.0.1:8443', demo: { enabled: true } }),
      start: async (config, log, fromFile) => {
        if (!fromFile)
          log.info(
            { state_dir: config.state_dir, storage: config.storage.path },
            'no config file given: starting a local registry with defaults',
          );
        const running = await startRegistry(config, log);
        const demo = config.demo.enabled && (await running.ctx.catalog.currentBuild(DEMO_HANDLE));
        return demo ? { ...running, notice: demoNotice(running.url) } : running;
      },
    },
    args,
  );
}
