// What the pages read from the registry: the config, the circuit catalog (a handle's current build) and a logger.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CircuitCatalog } from '../circuits/catalog.js';

export interface WebContext {
  config: Config;
  catalog: Pick<CircuitCatalog, 'currentBuild'>;
  log: Pick<Logger, 'warn'>;
}
