// `enigma-registry circuit mint`: personalises the sixzone circuit for one person, from a prompted or filed secret.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLE_RE } from '../circuits/manifest.js';
import { MAX_ROUNDS, MIN_ROUNDS, mintSixzone, SIXZONE_WASM } from '../circuits/mint.js';
import {
  checkSixzoneSecret,
  SIXZONE_BEARINGS,
  SIXZONE_COLOURS,
  SIXZONE_SECRET_MAX,
  SIXZONE_SECRET_MIN,
  type SixzoneMapping,
  type SixzoneSecret,
} from '../client/sixzone.js';
import { parseHex } from '../crypto/encoding.js';
import type { SealRecipient } from '../crypto/seal.js';
import { parseCommandArgs } from './args.js';

// `enigma-registry circuit mint`: personalises the reference sixzone circuit for one person. The secret is
// read (hidden prompt or --secret-file), checked, sealed to the registry's circuit sealing key and embedded
// as a custom section; the plain secret is never written anywhere.

/**
 * Shortest secret mint accepts by default. With 12 rounds a random guess at a 6-symbol secret passes with
 * probability 21^-6 (README "Guessing budget"); the default per-handle budget is sized for that.
 */
export const MINT_SECRET_MIN = 6;

const USAGE = `usage: enigma-registry circuit mint --handle H (--sealing-key FILE | --registry URL) --publisher-key FILE --out DIR
       [--rounds 12] [--mapping] [--secret-file F] [--version V] [--allow-short-secret]
  --sealing-key FILE  JSON {kid_hex, x25519_public_key_hex} (keys gen's sealing.pub.json)
  --registry URL      fetch it from GET URL/api/circuits/sealing-key instead
  --publisher-key F   JSON {ed25519_private_key_hex} (keys gen's publisher.key.json)
  --secret-file F     JSON {"symbols","mapping"?}, or text: symbols on line 1 and, with --mapping,
                      the bearings for ${SIXZONE_COLOURS.join(' ')} on line 2
  --allow-short-secret  accept ${SIXZONE_SECRET_MIN}-${MINT_SECRET_MIN - 1} symbols (refused by default: guessable in
                      years rather than centuries, see the README's "Guessing budget"); prints a warning
  Writes DIR/<handle>.wasm and DIR/<handle>.manifest.json and prints the artifact's sha256.
`;

/** Upper-cases letters and checks the secret against the alphabet; throws with a message for the user. */
export function normaliseSecret(symbols: string, mapping: Record<string, string> | undefined): SixzoneSecret {
  const secret: SixzoneSecret = { symbols: symbols.trim().toUpperCase() };
  if (mapping) {
    secret.mapping = Object.fromEntries(
      Object.entries(mapping).map(([c, b]) => [c.trim().toLowerCase(), b.trim().toUpperCase()]),
    ) as SixzoneMapping;
  }
  const problem = checkSixzoneSecret(secret);
  if (problem) throw new Error(problem);
  return secret;
}

/** Parses a --secret-file (JSON or text form, see USAGE). */
export function parseSecretFile(text: string, wantMapping: boolean): SixzoneSecret {
  let symbols: string;
  let mapping: Record<string, string> | undefined;
  if (text.trimStart().startsWith('{')) {
    const v = JSON.parse(text) as { symbols?: unknown; mapping?: unknown };
    if (typeof v.symbols !== 'string') throw new Error('secret file: "symbols" must be a string');
    if (v.mapping !== undefined && (typeof v.mapping !== 'object' || v.mapping === null))
      throw new Error('secret file: "mapping" must be an object');
    symbols = v.symbols;
    mapping = v.mapping as Record<string, string> | undefined;
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    symbols = lines[0] ?? '';
    if (lines[1] !== undefined) {
      const bearings = lines[1].trim().split(/[\s,]+/);
      if (bearings.length !== 6)
        throw new Error(`secret file: line 2 must list six bearings, for ${SIXZONE_COLOURS.join(' ')}`);
      mapping = Object.fromEntries(SIXZONE_COLOURS.map((c, i) => [c, bearings[i]!]));
    }
  }
  if (wantMapping && !mapping) throw new Error('--mapping: the secret file has no colour→bearing mapping');
  if (!wantMapping && mapping) throw new Error('the secret file has a mapping: pass --mapping to enrol it');
  return normaliseSecret(symbols, mapping);
}

/** Reads one line from the terminal without echo. Refuses when stdin is not a TTY. */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new Error('no terminal for the hidden secret prompt: pass --secret-file FILE');
  // Echo goes off before the prompt shows, so an answer typed the instant it appears is never echoed.
  stdin.setRawMode(true);
  stdin.resume();
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve, reject) => {
      let line = '';
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(line);
          }
          if (ch === '\u0003' || ch === '\u0004') {
            stdin.off('data', onData);
            return reject(new Error('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else if (ch >= ' ') line += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function askSecret(wantMapping: boolean, minLength: number): Promise<SixzoneSecret> {
  const symbols = await promptHidden(`Secret (${minLength}-${SIXZONE_SECRET_MAX} symbols of A-Z 0-9): `);
  if ((await promptHidden('Repeat the secret: ')) !== symbols) throw new Error('the two entries differ');
  let mapping: Record<string, string> | undefined;
  if (wantMapping) {
    mapping = {};
    for (const colour of SIXZONE_COLOURS) {
      mapping[colour] = await promptHidden(`Bearing for ${colour} (${SIXZONE_BEARINGS.join(' ')}): `);
    }
  }
  return normaliseSecret(symbols, mapping);
}

function recipientFrom(v: unknown, where: string): SealRecipient {
  const o = v as Partial<SealRecipient> | null;
  if (
    !o ||
    typeof o.kid_hex !== 'string' ||
    !parseHex(o.kid_hex, 8) ||
    typeof o.x25519_public_key_hex !== 'string' ||
    !parseHex(o.x25519_public_key_hex, 32)
  ) {
    throw new Error(`${where}: expected {"kid_hex": 16 hex, "x25519_public_key_hex": 64 hex}`);
  }
  return { kid_hex: o.kid_hex.toLowerCase(), x25519_public_key_hex: o.x25519_public_key_hex.toLowerCase() };
}

/** The registry's circuit sealing public key, from `GET <registry>/api/circuits/sealing-key`. */
export async function fetchSealingKey(registryUrl: string): Promise<SealRecipient> {
  const url = `${registryUrl.replace(/\/+$/, '')}/api/circuits/sealing-key`;
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return recipientFrom(await res.json(), `GET ${url}`);
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export async function main(args: string[]): Promise<number> {
  // The dispatcher may pass the subcommand word along with its options.
  const argv = args[0] === 'mint' ? args.slice(1) : args;
  const values = parseCommandArgs('circuit mint', USAGE, argv, {
    handle: { type: 'string' },
    rounds: { type: 'string', default: '12' },
    mapping: { type: 'boolean', default: false },
    'sealing-key': { type: 'string' },
    registry: { type: 'string' },
    'publisher-key': { type: 'string' },
    out: { type: 'string' },
    'secret-file': { type: 'string' },
    version: { type: 'string', default: '1.0.0' },
    'allow-short-secret': { type: 'boolean', default: false },
  });
  if (typeof values === 'number') return values;
  const fail = (msg: string, code = 2) => {
    process.stderr.write(`circuit mint: ${msg}\n`);
    return code;
  };
  const handle = values.handle;
  if (!handle || !HANDLE_RE.test(handle)) return fail(`--handle must match ${HANDLE_RE.source}\n${USAGE}`);
  if (!values.out || !values['publisher-key']) return fail(`--out and --publisher-key are required\n${USAGE}`);
  if (!values['sealing-key'] === !values.registry)
    return fail(`give exactly one of --sealing-key FILE and --registry URL\n${USAGE}`);
  const rounds = /^\d+$/.test(values.rounds) ? Number(values.rounds) : NaN;
  if (!(rounds >= MIN_ROUNDS && rounds <= MAX_ROUNDS))
    return fail(`--rounds must be an integer from ${MIN_ROUNDS} to ${MAX_ROUNDS}`);

  try {
    const publisher = readJson(values['publisher-key']) as { ed25519_private_key_hex?: unknown };
    const seed =
      typeof publisher.ed25519_private_key_hex === 'string'
        ? parseHex(publisher.ed25519_private_key_hex, 32)
        : undefined;
    if (!seed) return fail(`${values['publisher-key']}: expected {"ed25519_private_key_hex": 64 hex}`);
    const recipient = values.registry
      ? await fetchSealingKey(values.registry)
      : recipientFrom(readJson(values['sealing-key']!), values['sealing-key']!);
    const secret = values['secret-file']
      ? parseSecretFile(readFileSync(values['secret-file'], 'utf8'), values.mapping)
      : await askSecret(values.mapping, values['allow-short-secret'] ? SIXZONE_SECRET_MIN : MINT_SECRET_MIN);
    const length = secret.symbols.length;
    if (length < MINT_SECRET_MIN) {
      if (!values['allow-short-secret'])
        return fail(
          `the secret has ${length} symbols; at least ${MINT_SECRET_MIN} are required (--allow-short-secret accepts ${SIXZONE_SECRET_MIN}-${MINT_SECRET_MIN - 1}, with a warning)`,
          1,
        );
      process.stderr.write(
        `circuit mint: WARNING: a ${length}-symbol secret is guessable in years rather than centuries at the default guessing budget ` +
          `(README "Guessing budget"); use ${MINT_SECRET_MIN} or more symbols\n`,
      );
    }

    const { manifest, artifact } = mintSixzone({
      handle,
      secret,
      recipient,
      publisherSeed: seed,
      wasm: new Uint8Array(readFileSync(SIXZONE_WASM)),
      rounds,
      version: values.version,
    });
    seed.fill(0);
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, `${handle}.wasm`), artifact);
    writeFileSync(join(values.out, `${handle}.manifest.json`), `${JSON.stringify(manifest, null, 2)}\n`);
    process.stderr.write(
      `circuit mint: ${handle} build ${manifest.build_id}, ${rounds} rounds, sealed to kid ${recipient.kid_hex}\n`,
    );
    process.stdout.write(`${manifest.sha256}\n`);
    return 0;
  } catch (e) {
    return fail((e as Error).message, 1);
  }
}
