// Secrets the operator left out of the config: generated once into state_dir and reused after.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * Secrets the operator did not configure are generated once and kept in `state_dir` (mode 0600), so a
 * restart keeps the same keys and the data stays readable. Returns the value and whether it is new.
 */
export function loadOrCreateSecret<T>(
  stateDir: string,
  name: string,
  generate: () => T,
): { value: T; created: boolean; path: string } {
  const path = join(stateDir, `${name}.json`);
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) as T, created: false, path };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  const value = generate();
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path); // atomic: a crash never leaves a half-written key file
  return { value, created: true, path };
}

/**
 * `configured` when the operator set it; otherwise the secret generated into `state_dir/<name>.json` on first
 * run and kept, with one log line saying which (`what` names the config key, `noun` the secret, with its article).
 */
export function configuredOrGenerated<T>(
  configured: T | undefined,
  o: { stateDir: string; name: string; what: string; noun: string; log: Pick<Logger, 'info'>; generate: () => T },
): T {
  if (configured !== undefined) return configured;
  const { value, created, path } = loadOrCreateSecret(o.stateDir, o.name, o.generate);
  o.log.info(
    { path },
    `no ${o.what} configured: ${created ? `generated ${o.noun}` : `using the generated ${o.noun.replace(/^an? /, '')}`}`,
  );
  return value;
}

/** A new key entry as the config's X25519 key lists spell it (envelope and circuit sealing keys). */
export const newKeyEntry = (privateKeyHex: string) => ({
  kid_hex: randomBytes(8).toString('hex'),
  x25519_private_key_hex: privateKeyHex,
  active: true,
});
