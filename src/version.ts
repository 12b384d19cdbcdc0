// The registry's version, read from the package's package.json.
import { readFileSync } from 'node:fs';
import { packageRoot } from './paths.js';

export const version: string = (JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string })
  .version;
