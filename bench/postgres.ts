// A throwaway PostgreSQL schema for the postgres scenarios, or undefined when no server answers.
import { freshSchema, postgresSkip } from '../test/helpers/services.js';

export async function postgresBenchStorage(): Promise<{ toml: string; drop(): Promise<void> } | undefined> {
  if (await postgresSkip()) return undefined;
  const schema = await freshSchema();
  return { toml: `[storage]\nkind = "postgres"\nurl = "${schema.url}"\npool_size = 10`, drop: schema.drop };
}
