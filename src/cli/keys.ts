// `enigma-registry keys gen`: the operator's envelope, sealing, receipt and publisher keys and admin token.
import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToHex } from '../crypto/encoding.js';
import { x25519Generate } from '../crypto/x25519.js';

// `enigma-registry keys gen [--out DIR] [--toml]`: the operator's keys and an admin token. Each key file is
// JSON (the token plain text), mode 0600, never overwritten. The sealing public file has exactly the shape of GET /api/circuits/sealing-key, so
// `circuit mint --sealing-key` accepts either.

const USAGE = `usage: enigma-registry keys gen [--out DIR] [--toml]
  --out DIR  write key files (mode 0600) into DIR: envelope, sealing, receipt and publisher keys, admin.token
             (the bearer token for circuit publish / revoke) and registry-keys.toml (the config sections)
  --toml     print the config sections to append to a config (contains private keys); without --out the
             admin token is printed once on stderr
`;

export interface OperatorKeys {
  envelope: { kid_hex: string; x25519_private_key_hex: string; x25519_public_key_hex: string; pepper_hex: string };
  sealing: { kid_hex: string; x25519_private_key_hex: string; x25519_public_key_hex: string };
  receipt: { kid_hex: string; ed25519_private_key_hex: string; ed25519_public_key_hex: string };
  publisher: { ed25519_private_key_hex: string; ed25519_public_key_hex: string };
  /** Admin bearer token; the config lists only its SHA-256. */
  admin: { token: string; token_sha256_hex: string };
}

const kid = () => randomBytes(8).toString('hex');

function x25519Pair() {
  const { privateKey, publicKey } = x25519Generate();
  return { x25519_private_key_hex: bytesToHex(privateKey), x25519_public_key_hex: bytesToHex(publicKey) };
}

function ed25519Pair() {
  const seed = new Uint8Array(randomBytes(32));
  return { ed25519_private_key_hex: bytesToHex(seed), ed25519_public_key_hex: bytesToHex(ed25519.getPublicKey(seed)) };
}

function adminToken() {
  const token = randomBytes(32).toString('hex');
  return { token, token_sha256_hex: createHash('sha256').update(token).digest('hex') };
}

export function generateOperatorKeys(): OperatorKeys {
  return {
    envelope: { kid_hex: kid(), ...x25519Pair(), pepper_hex: randomBytes(32).toString('hex') },
    sealing: { kid_hex: kid(), ...x25519Pair() },
    receipt: { kid_hex: kid(), ...ed25519Pair() },
    publisher: ed25519Pair(),
    admin: adminToken(),
  };
}

/** One active key of a `[[…keys]]` table: its kid and its private key, under the name the config reads it by. */
function activeKeyToml(table: string, kidHex: string, keyField: string, keyHex: string): string {
  return `[[${table}]]\nkid_hex = "${kidHex}"\n${keyField} = "${keyHex}"\nactive = true\n`;
}

/** Config sections (`[envelope]`, `[circuits]`, `[admin]`, `[proof]`) for these keys, ready to append to a TOML config. */
export function operatorKeysToml(k: OperatorKeys): string {
  return `# enigma-registry operator keys: contains private keys, keep this private.
# Append to the registry config (after its top-level keys such as address); if it already has one of these
# tables, move the keys into that table instead: TOML refuses a table defined twice.
# Publisher private key (for \`circuit mint --publisher-key\`) and the admin token stay out of the registry config.

[envelope]
pepper_hex = "${k.envelope.pepper_hex}"

${activeKeyToml('envelope.keys', k.envelope.kid_hex, 'x25519_private_key_hex', k.envelope.x25519_private_key_hex)}
[circuits]
publisher_public_keys_hex = ["${k.publisher.ed25519_public_key_hex}"]

${activeKeyToml('circuits.sealing_keys', k.sealing.kid_hex, 'x25519_private_key_hex', k.sealing.x25519_private_key_hex)}
[admin]
token_sha256_hex = ["${k.admin.token_sha256_hex}"]

${activeKeyToml('proof.receipt_keys', k.receipt.kid_hex, 'ed25519_private_key_hex', k.receipt.ed25519_private_key_hex)}`;
}

/** File name → contents of every key file `keys gen --out` writes. */
export function operatorKeyFiles(k: OperatorKeys): Record<string, string> {
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'envelope.key.json': json(k.envelope),
    'sealing.key.json': json(k.sealing),
    'sealing.pub.json': json({ kid_hex: k.sealing.kid_hex, x25519_public_key_hex: k.sealing.x25519_public_key_hex }),
    'receipt.key.json': json(k.receipt),
    'publisher.key.json': json(k.publisher),
    'admin.token': `${k.admin.token}\n`,
    'registry-keys.toml': operatorKeysToml(k),
  };
}

export async function main(args: string[]): Promise<number> {
  // The dispatcher may pass the subcommand word along with its options.
  const argv = args[0] === 'gen' ? args.slice(1) : args;
  let values: { out?: string; toml?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, toml: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.out && !values.toml) {
    process.stderr.write(`keys gen: choose --out DIR and/or --toml\n${USAGE}`);
    return 2;
  }
  const keys = generateOperatorKeys();
  if (values.out) {
    const files = operatorKeyFiles(keys);
    const existing = Object.keys(files).filter((name) => existsSync(join(values.out!, name)));
    if (existing.length > 0) {
      process.stderr.write(`keys gen: refusing to overwrite ${existing.join(', ')} in ${values.out}\n`);
      return 1;
    }
    mkdirSync(values.out, { recursive: true, mode: 0o700 });
    // wx + mode at creation: never replaces a key, and the file is never readable by others, not even briefly.
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(values.out, name), text, { mode: 0o600, flag: 'wx' });
    process.stderr.write(
      `keys gen: wrote ${Object.keys(files).join(', ')} to ${values.out}\n` +
        `  sealing kid ${keys.sealing.kid_hex}, publisher public key ${keys.publisher.ed25519_public_key_hex}\n`,
    );
  }
  if (values.toml) {
    process.stdout.write(operatorKeysToml(keys));
    if (!values.out)
      process.stderr.write(
        `keys gen: admin token (shown once; the config holds only its SHA-256): ${keys.admin.token}\n`,
      );
  }
  return 0;
}
