// `enigma-registry register | resolve | check-user`: the node directory from the command line, through the SDK.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createIdentity, DirectoryClient, handleOf, RegistryError, type PowProgress } from '../client/index.js';

const PEPPER_HELP = `  --pepper-file F   the deployment's envelope pepper: a file holding 64 hex, or JSON with "pepper_hex"
                    (the registry's envelope.json works); or set ENIGMA_REGISTRY_PEPPER_HEX`;

const USAGE = {
  register: `usage: enigma-registry register --registry URL --username U [--pepper-file F] [--keys-out F]
  Creates an identity for U with fresh Ed25519 (signing) and X25519 (encryption) keys and registers it.
  The private keys are written to --keys-out (default ./U.identity.json, mode 0600, never overwritten).
${PEPPER_HELP}
`,
  resolve: `usage: enigma-registry resolve (HANDLE | --username U) --registry URL [--pepper-file F]
  Prints the identity registered under HANDLE (hex user id) as JSON; exit 1 when there is none.
  Solves the registry's proof of work when it asks for one.
${PEPPER_HELP}
`,
  'check-user': `usage: enigma-registry check-user (HANDLE | --username U) --registry URL
  Prints {"handle","exists"}; exit 0 when registered, 1 when not, 2 on errors.
  Solves the registry's proof of work when it asks for one.
`,
};
type Name = keyof typeof USAGE;

const OPTIONS = {
  registry: { type: 'string' },
  username: { type: 'string' },
  'pepper-file': { type: 'string' },
  'keys-out': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

class UsageError extends Error {}

function pepperHex(file: string | undefined): string {
  if (file === undefined) {
    const env = process.env.ENIGMA_REGISTRY_PEPPER_HEX;
    if (!env) throw new UsageError('the envelope pepper is needed: --pepper-file F or ENIGMA_REGISTRY_PEPPER_HEX');
    return env.trim();
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!text.startsWith('{')) return text;
  const v = (JSON.parse(text) as { pepper_hex?: unknown }).pepper_hex;
  if (typeof v !== 'string') throw new UsageError(`${file}: no "pepper_hex"`);
  return v;
}

/** Writes PoW progress on one line of a terminal's stderr. */
function powReporter(): ((p: PowProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => process.stderr.write(`\rsolving proof of work: ${p.attempts} of ~${p.expected} attempts\x1b[K`);
}

async function run(name: Name, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: name !== 'register' });
  if (values.help) {
    process.stdout.write(USAGE[name]);
    return 0;
  }
  if (!values.registry) throw new UsageError('--registry URL is required');
  const onPowProgress = powReporter();
  const opts = onPowProgress ? { onPowProgress } : {};

  if (name === 'register') {
    if (!values.username) throw new UsageError('--username U is required');
    const keysOut = values['keys-out'] ?? `${values.username}.identity.json`;
    if (existsSync(keysOut)) throw new UsageError(`${keysOut} exists; pass another --keys-out`);
    const dir = new DirectoryClient({ baseUrl: values.registry, pepperHex: pepperHex(values['pepper-file']) });
    const generated = createIdentity(values.username);
    // Keys first: an identity registered without its private keys kept would be lost for good.
    writeFileSync(keysOut, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await dir.register(generated.identity, opts);
    } catch (e) {
      rmSync(keysOut);
      throw e;
    }
    process.stdout.write(
      `${JSON.stringify({ handle: generated.identity.user_id, username: values.username, keys_file: keysOut })}\n`,
    );
    return 0;
  }

  if ((positionals.length === 1) === (values.username !== undefined) || positionals.length > 1)
    throw new UsageError('give exactly one of HANDLE and --username U');
  const handle = positionals[0] ?? handleOf(values.username!);
  if (name === 'resolve') {
    const dir = new DirectoryClient({ baseUrl: values.registry, pepperHex: pepperHex(values['pepper-file']) });
    const identity = await dir.resolve(handle, opts);
    if (onPowProgress) process.stderr.write('\r\x1b[K');
    if (!identity) {
      process.stderr.write(`resolve: no identity registered under ${handle}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(identity, null, 2)}\n`);
    return 0;
  }
  const exists = await new DirectoryClient({ baseUrl: values.registry }).checkUser(handle, opts);
  if (onPowProgress) process.stderr.write('\r\x1b[K');
  process.stdout.write(`${JSON.stringify({ handle: handle.toLowerCase(), exists })}\n`);
  return exists ? 0 : 1;
}

function command(name: Name) {
  return async (args: string[]): Promise<number> => {
    try {
      return await run(name, args);
    } catch (e) {
      const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(
        `${name}: ${e instanceof RegistryError ? `${e.code}: ` : ''}${(e as Error).message}\n${usage ? USAGE[name] : ''}`,
      );
      return usage ? 2 : name === 'check-user' ? 2 : 1;
    }
  };
}

export const register = command('register');
export const resolve = command('resolve');
export const checkUser = command('check-user');
