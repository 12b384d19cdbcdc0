// The SDK's PoW solver in Debian's chromium: the Web Worker path (Node has no Worker, so only a browser
// can run it), its cancellation, and the fallback to the page's thread when a CSP forbids blob: workers.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { powSolves } from '../../src/client/pow.js';
import { packageRoot } from '../../src/paths.js';
import { systemSkip } from '../helpers/system.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const skip = systemSkip('PoW solving in chromium', ['chromium']);

interface PageWindow {
  sdk: typeof import('../../src/client/index.js');
  workers: { created: number; terminated: number };
  violations: string[];
}

describe('PoW solving in a browser', { skip }, () => {
  let server: Server;
  let base: string;
  let browser: Browser;

  before(async () => {
    // The compiled SDK bundled for the browser, as a page would ship it.
    const bundle = await build({
      entryPoints: [join(packageRoot, 'dist/src/client/index.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
    });
    const sdk = bundle.outputFiles[0]!.text;
    const main = `import * as sdk from './sdk.js'; window.sdk = sdk; document.title = 'ready';`;
    const html = '<!doctype html><title>loading</title><script type="module" src="/main.js"></script>';
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      // /strict/ pages forbid workers, like a CSP that leaves out worker-src blob:.
      const csp = path.startsWith('/strict/')
        ? { 'content-security-policy': "default-src 'self'; worker-src 'none'" }
        : {};
      const file = path.replace(/^\/strict/, '');
      if (file === '/sdk.js' || file === '/main.js')
        res.writeHead(200, { 'content-type': 'text/javascript', ...csp }).end(file === '/sdk.js' ? sdk : main);
      else
        res
          .writeHead(200, { 'content-type': 'text/html', ...csp })
          .end(html.replace('/main.js', `${path.startsWith('/strict/') ? '/strict' : ''}/main.js`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    // Counts workers the page creates and terminates (the SDK must use one, and must stop it).
    await page.addInitScript(() => {
      const w = window as unknown as PageWindow;
      w.workers = { created: 0, terminated: 0 };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(e.effectiveDirective));
      const Original = window.Worker;
      window.Worker = class extends Original {
        constructor(url: string | URL, o?: WorkerOptions) {
          super(url, o);
          w.workers.created++;
        }
        override terminate() {
          w.workers.terminated++;
          super.terminate();
        }
      };
    });
    await page.goto(base + path);
    await page.waitForFunction(() => document.title === 'ready');
    return page;
  }

  /** Solves a challenge with the SDK on the page at `path`; what the page saw of workers and its CSP. */
  async function solveOn(path: string, challenge: string, difficulty: number) {
    const page = await open(path);
    const r = await page.evaluate(
      async ({ challenge, difficulty }) => {
        const w = window as unknown as PageWindow;
        const solution = await w.sdk.solvePow({ challenge, difficulty, expires_ms: Date.now() + 60_000 });
        return { solution, workers: w.workers, violations: w.violations };
      },
      { challenge, difficulty },
    );
    await page.close();
    return r;
  }

  test('solved in a Web Worker, which is terminated afterwards', async () => {
    const challenge = 'a1'.repeat(16);
    const r = await solveOn('/', challenge, 14);
    assert.ok(powSolves(challenge, r.solution, 14), `solution ${r.solution}`);
    assert.deepEqual(r.workers, { created: 1, terminated: 1 });
  });

  // A solve that never reports, or a page that stops running timers, is never cancelled: the test's timeout fails it.
  test('a worker solve reports progress, is cancelled by its AbortSignal, and the page stays responsive', {
    timeout: 60_000,
  }, async () => {
    const page = await open('/');
    const r = await page.evaluate(async () => {
      const w = window as unknown as PageWindow;
      const progress: number[] = [];
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      const ac = new AbortController();
      // Cancelled on events: once two progress reports came and the page's 20 ms timer fired 20 times meanwhile.
      const stopWhenSeen = () => progress.length >= 2 && ticks >= 20 && ac.abort(new Error('stop'));
      const poll = setInterval(stopWhenSeen, 50);
      const error = await w.sdk
        .solvePow(
          { challenge: '00'.repeat(16), difficulty: 30, expires_ms: Date.now() + 60_000 },
          { signal: ac.signal, onProgress: (p) => progress.push(p.attempts) },
        )
        .then(
          () => 'solved?!',
          (e: Error) => e.message,
        );
      clearInterval(timer);
      clearInterval(poll);
      return { error, progress, ticks, workers: w.workers };
    });
    assert.equal(r.error, 'stop');
    assert.ok(
      r.progress.length > 0 && r.progress.every((a, i) => i === 0 || a > r.progress[i - 1]!),
      JSON.stringify(r.progress),
    );
    assert.ok(r.ticks >= 20, `timers kept running (${r.ticks} ticks)`);
    assert.deepEqual(r.workers, { created: 1, terminated: 1 });
    await page.close();
  });

  test('a CSP without blob: workers: solved on the page thread instead', async () => {
    const challenge = 'b2'.repeat(16);
    const r = await solveOn('/strict/', challenge, 10);
    assert.ok(powSolves(challenge, r.solution, 10));
    // The worker was refused by the CSP (a violation, then its error event): the answer came from the page thread.
    assert.deepEqual(r.workers, { created: 1, terminated: 1 });
    assert.ok(
      r.violations.some((v) => v.startsWith('worker-src')),
      JSON.stringify(r.violations),
    );
  });
});
