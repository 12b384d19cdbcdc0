// `enigma-registry circuit list`: every circuit's current build, or every build of one handle, from a registry.
import { parseCommandArgs } from './args.js';
import { requestJson } from './circuit-publish.js';

const USAGE = `usage: enigma-registry circuit list --registry URL [--handle H] [--json]
Lists every circuit's current build (following pages), or with --handle every build of that circuit.
Columns: handle, build_id, version, sha256, revoked. --json prints one JSON object per line instead.
`;

interface BuildView {
  handle: string;
  build_id: string;
  version: string;
  sha256: string;
  revoked: boolean;
}

export async function main(args: string[]): Promise<number> {
  const values = parseCommandArgs('circuit list', USAGE, args, {
    registry: { type: 'string' },
    handle: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (typeof values === 'number') return values;
  if (!values.registry) {
    process.stderr.write(`circuit list: --registry is required\n${USAGE}`);
    return 2;
  }
  const print = (b: BuildView) =>
    process.stdout.write(
      values.json
        ? `${JSON.stringify(b)}\n`
        : `${[b.handle, b.build_id, b.version, b.sha256, b.revoked ? 'revoked' : 'ok'].join('\t')}\n`,
    );
  try {
    if (values.handle !== undefined) {
      const d = (await requestJson(values.registry, 'GET', `/api/circuits/${encodeURIComponent(values.handle)}`)) as {
        builds: BuildView[];
      };
      d.builds.forEach(print);
      return 0;
    }
    let after: string | null = null;
    do {
      const page = (await requestJson(
        values.registry,
        'GET',
        `/api/circuits?limit=200${after === null ? '' : `&after=${encodeURIComponent(after)}`}`,
      )) as {
        circuits: Array<{ current: BuildView }>;
        next: string | null;
      };
      for (const c of page.circuits) print(c.current);
      after = page.next;
    } while (after !== null);
    return 0;
  } catch (e) {
    process.stderr.write(`circuit list: ${(e as Error).message}\n`);
    return 1;
  }
}
