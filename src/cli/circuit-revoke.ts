// `enigma-registry circuit revoke`: revokes every build whose artifact has the given SHA-256.
import { parseCommandArgs } from './args.js';
import { readToken, requestJson } from './circuit-publish.js';

const USAGE = `usage: enigma-registry circuit revoke --registry URL --token-file F --sha256 HEX
Revokes every build whose artifact has this SHA-256: their next challenge, validate or CLI call is refused.
`;

export async function main(args: string[]): Promise<number> {
  const values = parseCommandArgs('circuit revoke', USAGE, args, {
    registry: { type: 'string' },
    'token-file': { type: 'string' },
    sha256: { type: 'string' },
  });
  if (typeof values === 'number') return values;
  if (!values.registry || !values['token-file'] || !values.sha256 || !/^[0-9a-fA-F]{64}$/.test(values.sha256)) {
    process.stderr.write(`circuit revoke: --registry, --token-file and --sha256 (64 hex) are required\n${USAGE}`);
    return 2;
  }
  try {
    const r = await requestJson(values.registry, 'POST', '/api/admin/revocations', {
      token: readToken(values['token-file']),
      body: { sha256: values.sha256.toLowerCase() },
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`circuit revoke: ${(e as Error).message}\n`);
    return 1;
  }
}
