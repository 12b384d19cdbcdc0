// Catalog change notices on PostgreSQL (NOTIFY/LISTEN), so every replica's catalog cache drops what changed.
import pg from 'pg';
import type { CatalogChanges } from '../circuits.js';

/** The channel every replica listens on; the payload is the schema that changed (one database may hold several). */
const CHANNEL = 'enigma_registry_catalog';

/** SQL a catalog write runs in its own transaction: PostgreSQL delivers the notification at that commit. */
export const notifyCatalogChange = `SELECT pg_notify('${CHANNEL}', current_schema())`;

/** The listener's application_name, which names its schema (operators and tests can find it in pg_stat_activity). */
export const listenerName = (schema: string) => `enigma-registry catalog listener ${schema}`;

const HEARTBEAT_MS = 5_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface CatalogListener extends CatalogChanges {
  close(): Promise<void>;
}

/**
 * Listens for catalog changes on a dedicated connection (LISTEN needs one that a pool never hands out).
 * When the connection fails, or a heartbeat goes unanswered for HEARTBEAT_MS (a silent network), it is
 * dropped, `live` turns false until a new connection listens again, and the subscribers are told both
 * times; reconnecting backs off from RETRY_MIN_MS to RETRY_MAX_MS.
 */
export function listenCatalogChanges(url: string, onError: (err: Error) => void): CatalogListener {
  const subscribers: Array<() => void> = [];
  const tell = () => {
    for (const fn of subscribers) fn();
  };
  let live = false;
  let closed = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let retryMs = RETRY_MIN_MS;

  const schedule = (fn: () => void, ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
    timer.unref();
  };

  const drop = (c: pg.Client, err?: Error) => {
    if (client !== c) return; // an older connection's late event
    client = undefined;
    if (err) onError(err);
    c.end().catch(() => undefined);
    if (live) {
      live = false;
      tell();
    }
    if (!closed) schedule(connect, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  const heartbeat = (c: pg.Client) => {
    schedule(() => {
      c.query('SELECT 1').then(
        () => client === c && heartbeat(c),
        (err: Error) => drop(c, err),
      );
    }, HEARTBEAT_MS);
  };

  function connect(): void {
    const c = new pg.Client({
      connectionString: url,
      query_timeout: HEARTBEAT_MS,
      connectionTimeoutMillis: HEARTBEAT_MS,
    });
    client = c;
    c.on('error', (err) => drop(c, err));
    c.on('end', () => drop(c, new Error('catalog listener connection ended')));
    c.connect()
      .then(async () => {
        const schema = (await c.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? '';
        await c.query(`SET application_name = '${listenerName(schema).replaceAll("'", "''")}'`);
        c.on('notification', (n) => n.payload === schema && tell());
        await c.query(`LISTEN ${CHANNEL}`);
        if (client !== c || closed) return;
        // From here every change is heard; what changed while nobody listened is forgotten by the subscribers.
        live = true;
        retryMs = RETRY_MIN_MS;
        tell();
        heartbeat(c);
      })
      .catch((err: Error) => drop(c, err));
  }

  connect();
  return {
    get live() {
      return live;
    },
    subscribe: (fn) => void subscribers.push(fn),
    async close() {
      closed = true;
      clearTimeout(timer);
      live = false;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
