// Opening the registry's default nonce ledger: the remote service at ledger.url, or embedded with its pruning timer.
import type { Logger } from 'pino';
import type { Clock } from '../config/clock.js';
import type { Config } from '../config/schema.js';
import type { LedgerStore } from '../storage/ledger.js';
import { EmbeddedLedger } from './embedded.js';
import { HttpLedger } from './http-client.js';
import type { Ledger } from './ledger.js';

export interface OpenedLedger {
  ledger: Ledger;
  /** Stops the pruning timer (the store is closed by its owner). */
  stop(): void;
}

/** An embedded ledger on `store` that prunes itself every `ledger.prune_interval_seconds`. */
export function embeddedLedger(
  config: Config,
  store: { ledger: LedgerStore; ping(): Promise<void> },
  log: Logger,
  clock?: Clock,
): OpenedLedger & { ledger: EmbeddedLedger } {
  const l = config.ledger;
  const ledger = new EmbeddedLedger(store.ledger, {
    ttlSeconds: l.ttl_seconds,
    maxTtlSeconds: l.max_ttl_seconds,
    retainSeconds: l.retain_seconds,
    ping: () => store.ping(),
    clock,
  });
  const timer = setInterval(() => {
    ledger.prune().then(
      (n) => n > 0 && log.debug({ changed: n }, 'ledger prune'),
      (err: unknown) => log.error({ err }, 'ledger prune failed'),
    );
  }, l.prune_interval_seconds * 1000).unref();
  return { ledger, stop: () => clearInterval(timer) };
}

/** The registry's default ledger: the remote service at `ledger.url`, else embedded on the registry's store. */
export function openLedger(
  config: Config,
  store: { ledger: LedgerStore; ping(): Promise<void> },
  log: Logger,
  clock?: Clock,
): OpenedLedger {
  if (config.ledger.url)
    return { ledger: new HttpLedger(config.ledger.url, config.ledger.timeout_ms), stop: () => undefined };
  return embeddedLedger(config, store, log, clock);
}
