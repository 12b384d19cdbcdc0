// The built ceremony page's script and stylesheet, loaded once from build/web at start.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export const WEB_BUILD_DIR = join(packageRoot, 'build', 'web');

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const ASSET_NAME = /^[A-Za-z0-9_-]+\.(js|css)$/;

export interface Asset {
  body: Buffer;
  type: string;
}

/** The built page assets (web/build.mjs): URL paths of the script and stylesheet, and the files by name. */
export interface WebAssets {
  script: string;
  style: string;
  files: Map<string, Asset>;
}

export const ASSET_PREFIX = '/ceremony/assets/';

/**
 * Reads build/web/ once at start (a few kB, so it is kept in memory). Undefined when the assets were not
 * built (a tsc-only tree): the page then answers 503 saying so, rather than a page that cannot run.
 */
export function loadWebAssets(dir: string = WEB_BUILD_DIR): WebAssets | undefined {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;
  const files = new Map<string, Asset>();
  for (const name of Object.values(manifest)) {
    const m = ASSET_NAME.exec(name);
    if (!m) throw new Error(`${manifestPath}: unexpected asset name ${JSON.stringify(name)}`);
    files.set(name, { body: readFileSync(join(dir, name)), type: TYPES[m[1]!]! });
  }
  const script = manifest['ceremony.js'];
  const style = manifest['ceremony.css'];
  if (!script || !style) throw new Error(`${manifestPath}: ceremony.js and ceremony.css are required`);
  return { script: ASSET_PREFIX + script, style: ASSET_PREFIX + style, files };
}
