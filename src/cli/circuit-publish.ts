// `enigma-registry circuit publish`: uploads minted builds; also the token and JSON call other circuit commands use.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandArgs } from './args.js';
import { toBase64 } from '../crypto/encoding.js';

// `enigma-registry circuit publish`: uploads what `circuit mint` wrote (<handle>.manifest.json and
// <handle>.wasm) to POST /api/admin/circuits. Shared here with `circuit list` and `circuit revoke`: the
// admin token file and the JSON-over-HTTP call.

const USAGE = `usage: enigma-registry circuit publish --registry URL --token-file F --dir DIR [--handle H]
  --dir DIR         a \`circuit mint --out\` directory: every <handle>.manifest.json with its <handle>.wasm
                    (<handle>.elf for kind "elf") is published
  --handle H        publish only that handle's files
  --token-file F    file holding the admin bearer token (its SHA-256 is in the registry's admin.token_sha256_hex)
Prints each published build as one JSON line.
`;

/** The admin token: the file's content without surrounding whitespace. */
export function readToken(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error(`${path}: expected one printable token`);
  return token;
}

/** One JSON request; a non-2xx answer throws with the registry's error message. */
export async function requestJson(
  registry: string,
  method: 'GET' | 'POST',
  path: string,
  o: { token?: string; body?: unknown } = {},
): Promise<unknown> {
  const url = `${registry.replace(/\/+$/, '')}${path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    signal: AbortSignal.timeout(60_000),
    ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url}: HTTP ${res.status}, not JSON`);
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } }).error;
    throw new Error(`${method} ${url}: HTTP ${res.status} ${err?.code ?? ''} ${err?.message ?? ''}`.trim());
  }
  return json;
}

export async function main(args: string[]): Promise<number> {
  const values = parseCommandArgs('circuit publish', USAGE, args, {
    registry: { type: 'string' },
    'token-file': { type: 'string' },
    dir: { type: 'string' },
    handle: { type: 'string' },
  });
  if (typeof values === 'number') return values;
  if (!values.registry || !values['token-file'] || !values.dir) {
    process.stderr.write(`circuit publish: --registry, --token-file and --dir are required\n${USAGE}`);
    return 2;
  }
  try {
    const token = readToken(values['token-file']);
    const manifests = readdirSync(values.dir)
      .filter(
        (f) => f.endsWith('.manifest.json') && (values.handle === undefined || f === `${values.handle}.manifest.json`),
      )
      .sort();
    if (manifests.length === 0) throw new Error(`no ${values.handle ?? '<handle>'}.manifest.json in ${values.dir}`);
    for (const file of manifests) {
      const manifest = JSON.parse(readFileSync(join(values.dir, file), 'utf8')) as { kind?: unknown };
      const artifact = join(values.dir, file.replace(/\.manifest\.json$/, manifest.kind === 'elf' ? '.elf' : '.wasm'));
      const body = { manifest, artifact_base64: toBase64(new Uint8Array(readFileSync(artifact))) };
      const build = await requestJson(values.registry, 'POST', '/api/admin/circuits', { token, body });
      process.stdout.write(`${JSON.stringify(build)}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`circuit publish: ${(e as Error).message}\n`);
    return 1;
  }
}
