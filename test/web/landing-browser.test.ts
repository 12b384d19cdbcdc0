// A first visitor in Debian's chromium: the real CLI starts with the demo on and prints its secret; the
// visitor opens `/`, follows the link to the demo ceremony and completes a proof with the printed secret,
// reading each round from the page as a person would.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Browser } from 'playwright-core';
import { DEMO_HANDLE } from '../../src/client/demo.js';
import { call, spawnCli, tempDir, type SpawnedRegistry } from '../helpers/registry.js';
import { browserSkip, launchBrowser, rightZone, waitForRound, watch } from './browser.js';
import { ensureWebAssets } from './setup.js';

const skip = browserSkip('landing page and demo in chromium');
const dir = tempDir();
let reg: SpawnedRegistry;
let secret: string;
let browser: Browser;

before(async () => {
  if (skip) return;
  ensureWebAssets();
  // As `npm start` does without a config file, on a free port: the demo is on.
  const config = join(dir.path, 'registry.toml');
  writeFileSync(config, `address = "127.0.0.1:0"\nstate_dir = "${join(dir.path, 'data')}"\n\n[demo]\nenabled = true\n`);
  reg = await spawnCli(['serve', '--config', config], {
    waitFor: /listening on (\S+)\nLOCAL DEMO: .* public secret (\S+) .*\n.*\n.*\n/,
    timeoutMs: 60_000,
  });
  secret = /public secret (\S+)/.exec(reg.stdout())![1]!;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  reg?.child.kill('SIGTERM');
  await reg?.exited;
  dir.remove();
});

test('from / to a verified demo proof with the secret printed at start', { skip }, async () => {
  assert.match(secret, /^[A-Z0-9]{8,}$/, 'the demo secret has at least 8 symbols');
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.goto(`${reg.url}/`);
  assert.equal(await page.title(), 'enigma-registry');
  assert.equal((await page.textContent('#demo-secret'))!.trim(), secret, 'the page shows the printed secret');
  for (const text of ['API documentation', 'Health', 'README']) assert.ok(await page.$(`a:has-text("${text}")`), text);

  await page.click('text=Start the demo ceremony');
  await page.waitForURL(`${reg.url}/ceremony/${DEMO_HANDLE}`);
  const ROUNDS = 12;
  for (let r = 0; r < ROUNDS; r++) {
    await waitForRound(page, r, ROUNDS);
    await page.click(`.zone[data-zone="${await rightZone(page, { symbols: secret }, r)}"]`);
  }
  await page.waitForSelector('.outcome.success');
  const receipt = await page.inputValue('#receipt');
  const jwks = createLocalJWKSet((await call<JSONWebKeySet>(reg.url, 'GET', '/.well-known/jwks.json')).body);
  const { payload } = await jwtVerify(receipt, jwks, { issuer: reg.url, subject: DEMO_HANDLE, algorithms: ['EdDSA'] });
  assert.equal(payload.sub, DEMO_HANDLE);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(await seen.violations(), []);
  await page.close();
});
