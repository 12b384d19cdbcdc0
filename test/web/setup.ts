// Shared fixtures of the ceremony page tests: fresh page assets, a registry with real sixzone circuits
// published, and tiny relying-party sites on other loopback origins.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SixzoneSecret } from '../../src/client/sixzone.js';
import { packageRoot } from '../../src/paths.js';
import { WEB_BUILD_DIR } from '../../src/web/assets.js';
import { startPublishingRegistry } from '../proof/mint.js';

export const TOKEN = 'ceremony-test-token';
/** With a colour→bearing mapping: the answer is usually another zone than the one holding the symbol. */
export const MAPPED: SixzoneSecret = {
  symbols: 'K7Q2',
  mapping: { red: 'S', orange: 'SW', yellow: 'NW', green: 'N', blue: 'NE', violet: 'SE' },
};
/** Without a mapping: the answer is the zone holding the symbol. */
export const PLAIN: SixzoneSecret = { symbols: 'B4Z9X' };

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestMtime(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

/** Rebuilds build/web/ when missing or older than its sources (a tree compiled with tsc only). */
export function ensureWebAssets(): void {
  const manifest = join(WEB_BUILD_DIR, 'manifest.json');
  const sources = Math.max(newestMtime(join(packageRoot, 'web')), newestMtime(join(packageRoot, 'src', 'client')));
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [join(packageRoot, 'web', 'build.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `web build failed: ${r.stdout}${r.stderr}`);
}

export interface Site {
  origin: string;
  /** Request paths (with query) the site received, to check what reached its server. */
  requests: string[];
  close(): Promise<void>;
}

/** A plain HTTP site on 127.0.0.1:<free port> serving fixed HTML by path; `html` may use the site's own origin. */
export async function startSite(pages: (origin: string) => Record<string, string>): Promise<Site> {
  const requests: string[] = [];
  let table: Record<string, string> = {};
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    // Browsers ask for a favicon by themselves; a 404 would show up as a console error of the page.
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    const body = table[(req.url ?? '/').split('?')[0]!];
    res
      .writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' })
      .end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = pages(origin);
  return { origin, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A registry with `[ceremony]` allow-lists and one published sixzone circuit per handle. */
export async function startCeremonyRegistry(o: {
  ceremony: { return_to_origins?: string[]; opener_origins?: string[] };
  circuits: Record<string, SixzoneSecret>;
}) {
  ensureWebAssets();
  const { reg, minted } = await startPublishingRegistry({
    token: TOKEN,
    config: {
      // Proof of work from the first wrong answer at a handle on, so the page's solver is exercised.
      proof: {
        lockout_after: 3,
        lockout_seconds: 60,
        guesses_per_hour: 90,
        pow_free_failures: 1,
        pow_min_difficulty: 10,
        pow_max_difficulty: 12,
        challenge_rps: 1000,
        validate_rps: 1000,
        handle_rps: 1000,
        burst: 1000,
      },
      ceremony: o.ceremony,
    },
    circuits: o.circuits,
  });
  return { reg, minted };
}
