// A first visitor in Debian's chromium: opens `/`, follows the link to the demo ceremony and completes a
// proof with the secret the landing page shows, reading each round from the page as a person would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Browser } from 'playwright-core';
import { DEMO_HANDLE } from '../../src/client/demo.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { browserSkip, launchBrowser, rightZone, waitForRound, watch } from './browser.js';
import { ensureWebAssets } from './setup.js';

const skip = browserSkip('landing page and demo in chromium');
let reg: Awaited<ReturnType<typeof startTestRegistry>>;
let browser: Browser;

before(async () => {
  if (skip) return;
  ensureWebAssets();
  reg = await startTestRegistry({ demo: { enabled: true } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await reg?.close();
});

test('from / to a verified demo proof with the secret the page shows', { skip }, async () => {
  const page = await browser.newPage();
  const seen = await watch(page);
  await page.goto(`${reg.url}/`);
  assert.equal(await page.title(), 'enigma-registry');
  const secret = (await page.textContent('#demo-secret'))!.trim();
  assert.match(secret, /^[A-Z0-9]{8,}$/, 'the demo secret has at least 8 symbols');
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
