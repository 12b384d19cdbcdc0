// The package root on disk, where the built circuit and web assets, the README and package.json are found.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (compiled code lives in dist/src/, so two levels up from here). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
