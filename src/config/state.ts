import { chmodSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets the operator did not configure are generated once and kept in `state_dir` (mode 0600), so a
 * restart keeps the same keys and the data stays readable. Returns the value and whether it is new.
 */
export function loadOrCreateSecret<T>(stateDir: string, name: string, generate: () => T): { value: T; created: boolean; path: string } {
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
