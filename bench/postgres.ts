// A throwaway PostgreSQL schema for the postgres scenarios, or undefined when no server answers.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const BASE = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresBenchStorage(): Promise<{ toml: string; drop(): Promise<void> } | undefined> {
  const client = new pg.Client({ connectionString: BASE, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = `${BASE}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    toml: `[storage]\nkind = "postgres"\nurl = "${url}"\npool_size = 10`,
    async drop() {
      const c = new pg.Client({ connectionString: BASE });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
