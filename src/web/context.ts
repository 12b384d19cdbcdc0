// What the pages read from the registry: the config, the circuit catalog store (the demo's build) and a logger.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Store } from '../storage/store.js';

export interface WebContext {
  config: Config;
  store: Pick<Store, 'circuits'>;
  log: Pick<Logger, 'warn'>;
}
