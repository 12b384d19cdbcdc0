import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (compiled code lives in dist/src/, so two levels up from here). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
