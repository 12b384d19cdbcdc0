// The real PostgreSQL and Redis the scale-out suites run against. When a service does not answer, those
// suites are skipped with a message that says which service and where, never silently passed.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL = process.env.ENIGMA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.ENIGMA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const where = (url: string) => new URL(url).host;

async function withPg<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** undefined when PostgreSQL answers; otherwise the skip message for node:test's `skip` option. */
export async function postgresSkip(): Promise<string | undefined> {
  try {
    await withPg((c) => c.query('SELECT 1'));
    return undefined;
  } catch (e) {
    return `skipped: PostgreSQL not reachable at ${where(POSTGRES_URL)} (${(e as Error).message})`;
  }
}

/** undefined when Redis at `url` answers PING; otherwise the skip message. */
export async function redisSkip(url = REDIS_URL): Promise<string | undefined> {
  const r = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause = '';
  r.on('error', (e: Error) => (cause = e.message));
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (e) {
    return `skipped: Redis not reachable at ${where(url)} (${cause || (e as Error).message})`;
  } finally {
    r.disconnect();
  }
}

export interface TestSchema {
  schema: string;
  /** POSTGRES_URL with this schema as the search_path: what `storage.url` gets. */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A new, empty schema `t_<random>`: each test's tables are its own and leave nothing behind. */
export async function freshSchema(): Promise<TestSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await withPg((c) => c.query(`CREATE SCHEMA ${schema}`));
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    drop: () => withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined),
  };
}

/** A key prefix of its own in the shared Redis, so concurrent suites never share a budget. */
export const redisPrefix = () => `enigma-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix` (they would expire by themselves, within minutes). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for await (const keys of r.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await r.unlink(...keys);
  } finally {
    r.disconnect();
  }
}
