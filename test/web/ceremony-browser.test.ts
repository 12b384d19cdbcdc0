// The ceremony page in Debian's chromium (playwright-core, never a downloaded browser): mouse and
// keyboard-only ceremonies, failure, receipt delivery by return_to and postMessage, framing, and CSP.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { solveSixzone, SIXZONE_BEARINGS, type SixzoneSecret } from '../../src/client/sixzone.js';
import { solvePow } from '../../src/guard/pow.js';
import { packageRoot } from '../../src/paths.js';
import { call } from '../helpers/registry.js';
import { sha256Hex } from '../proof/mint.js';
import { browserSkip, launchBrowser, rightZone, waitForRound, watch } from './browser.js';
import { MAPPED, PLAIN, startCeremonyRegistry, startSite, type Site } from './setup.js';

const ARTIFACTS = join(packageRoot, 'test-artifacts');

const skip = browserSkip('ceremony page in chromium');

describe('hosted ceremony page in chromium', { skip }, () => {
  let ctx: Awaited<ReturnType<typeof startCeremonyRegistry>>;
  let base: string;
  let browser: Browser;
  let rp: Site;
  let evil: Site;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const ROUNDS = 12;

  const verify = async (receipt: string, handle: string) => {
    const { payload } = await jwtVerify(receipt, jwks, { issuer: base, subject: handle, algorithms: ['EdDSA'] });
    assert.equal(payload.circuit_sha256, ctx.minted[handle]!.manifest.sha256);
  };

  /** The page's receipt verifies for `handle`; the page logged no error and broke no CSP rule. Closes it. */
  const verifiedCleanly = async (page: Page, seen: Awaited<ReturnType<typeof watch>>, handle: string) => {
    await verify(await page.inputValue('#receipt'), handle);
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(await seen.violations(), []);
    await page.close();
  };

  /** Opens the page, answers every round by clicking, returns the page (ending on the outcome). */
  const clickThrough = async (
    page: Page,
    secret: SixzoneSecret,
    opts: { wrongRound?: number; screenshotRound?: number } = {},
  ) => {
    for (let r = 0; r < ROUNDS; r++) {
      await waitForRound(page, r, ROUNDS);
      let zone = await rightZone(page, secret, r);
      if (r === opts.wrongRound) zone = (zone % 6) + 1;
      if (r === opts.screenshotRound) {
        await page.hover(`.zone[data-zone="${zone}"]`);
        await page.screenshot({ path: join(ARTIFACTS, 'ceremony.png') });
      }
      await page.click(`.zone[data-zone="${zone}"]`);
    }
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // Relying parties: `rp` is allow-listed, `evil` is not. Their pages are plain HTML with inline script
    // (they are not the registry and have no CSP).
    const opener = (_origin: string) => `<!doctype html><title>RP</title><button id="open">Sign in</button><script>
      window.received = [];
      window.addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));
      document.getElementById('open').addEventListener('click', () => window.open(new URLSearchParams(location.search).get('u'), 'ceremony', 'popup,width=700,height=900'));
    </script>`;
    const framer = `<!doctype html><title>framer</title><body><script>
      window.received = [];
      window.addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));
      const f = document.createElement('iframe'); f.width = 700; f.height = 900; f.src = new URLSearchParams(location.search).get('u'); document.body.append(f);
    </script>`;
    rp = await startSite((origin) => ({
      '/done': '<!doctype html><title>RP done</title><p>back at the relying party</p>',
      '/opener': opener(origin),
      '/frame': framer,
    }));
    evil = await startSite((origin) => ({ '/opener': opener(origin), '/frame': framer }));
    ctx = await startCeremonyRegistry({
      ceremony: { return_to_origins: [rp.origin], opener_origins: [rp.origin] },
      circuits: { alice: MAPPED, bob: PLAIN, carol: MAPPED, dave: PLAIN, erin: MAPPED, frank: PLAIN, gina: PLAIN },
    });
    base = ctx.reg.url;
    jwks = createLocalJWKSet((await call<JSONWebKeySet>(base, 'GET', '/.well-known/jwks.json')).body);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await ctx?.reg.close();
    await rp?.close();
    await evil?.close();
  });

  test('mouse: the right zones → "Verified" with a receipt that verifies against the JWKS; no console errors or CSP violations', async () => {
    const page = await browser.newPage({ viewport: { width: 760, height: 980 } });
    const seen = await watch(page);
    await page.goto(`${base}/ceremony/alice`);
    await clickThrough(page, MAPPED, { screenshotRound: 2 });
    await page.waitForSelector('.outcome.success');
    assert.equal(await page.textContent('#status'), 'Verified.');
    assert.equal(await page.textContent('.outcome h2'), 'Verified');
    assert.equal(await page.getAttribute('#board', 'hidden'), '');
    await page.screenshot({ path: join(ARTIFACTS, 'ceremony-success.png') });
    await verifiedCleanly(page, seen, 'alice');
  });

  test('a wrong answer in one round → "Not verified" (PROOF_REJECTED) announced as an alert, with a way to try again', async () => {
    const page = await browser.newPage();
    const seen = await watch(page);
    await page.goto(`${base}/ceremony/bob`);
    await clickThrough(page, PLAIN, { wrongRound: 5 });
    await page.waitForSelector('.outcome.failure');
    assert.equal(await page.getAttribute('#outcome', 'role'), 'alert');
    assert.equal(await page.textContent('.outcome h2'), 'Not verified');
    assert.match((await page.textContent('#outcome'))!, /The answers did not match\.[\s\S]*PROOF_REJECTED/);
    assert.match((await page.textContent('#status'))!, /^Not verified\./);
    assert.equal(await page.$('#receipt'), null);
    await page.screenshot({ path: join(ARTIFACTS, 'ceremony-failure.png') });
    // Try again starts a fresh challenge at round 1. The handle has now seen a wrong answer, so the registry
    // first asks for proof of work (400 POW_REQUIRED), which the page solves in its worker by itself.
    await page.click('text=Try again');
    await waitForRound(page, 0, ROUNDS);
    assert.ok(
      seen.errors.some((e) => /status of 400/.test(e)),
      'proof of work was asked for and solved',
    );
    // The only console errors are the browser's notes about the 403 and 400 answers themselves.
    assert.deepEqual(
      seen.errors.filter((e) => !/status of 40[03]/.test(e)),
      [],
    );
    assert.deepEqual(await seen.violations(), []);
    await page.close();
  });

  test('a locked-out circuit: the page says so and when to try again', async () => {
    // lockout_after = 3 wrong proofs, sent straight to the API.
    for (let i = 0; i < 3; i++) {
      let r = await call(base, 'POST', '/api/circuits/gina/challenge', {});
      if (r.status === 400) {
        const pow = r.body.error.details.pow as { challenge: string; difficulty: number };
        r = await call(
          base,
          'POST',
          '/api/circuits/gina/challenge',
          {},
          { 'x-enigma-pow': `${pow.challenge}:${solvePow(pow.challenge, pow.difficulty)}` },
        );
      }
      const ch = r.body;
      const bearings = solveSixzone(ch.challenge, PLAIN).map((b, r) =>
        r === 0 ? SIXZONE_BEARINGS[(SIXZONE_BEARINGS.indexOf(b) + 1) % 6]! : b,
      );
      const body = {
        kind: 'bearings',
        nonce_uuid: ch.nonce_uuid,
        payload: { tau: ch.tau, bearings, proof_hash: sha256Hex(`${ch.nonce_uuid}|${ch.tau}|${bearings.join(',')}`) },
      };
      assert.equal((await call(base, 'POST', '/api/circuits/gina/validate', body)).status, 403);
    }
    const page = await browser.newPage();
    await page.goto(`${base}/ceremony/gina`);
    await page.waitForSelector('.outcome.failure');
    assert.match(
      (await page.textContent('#status'))!,
      /^Not verified\. Too many attempts for this circuit\. Try again in \d+ s\.$/,
    );
    assert.match((await page.textContent('#outcome'))!, /RATE_LIMITED/);
    await page.close();
  });

  test('keyboard only: Tab to the zones, digits, arrow keys + Enter; the focus ring shows; success', async () => {
    const page = await browser.newPage();
    const seen = await watch(page);
    await page.goto(`${base}/ceremony/carol`);
    await waitForRound(page, 0, ROUNDS);
    // Tab until a zone has focus (the page has no other focusable element before the board).
    for (let i = 0; i < 5 && !(await page.evaluate(() => document.activeElement?.classList.contains('zone'))); i++)
      await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-zone')), '1');
    assert.equal(await page.getAttribute('.focus-ring', 'visibility'), 'visible');
    assert.equal(
      await page.getAttribute('.focus-ring-outer', 'points'),
      await page.getAttribute('.zone[data-zone="1"] .zone-shape', 'points'),
    );
    await page.keyboard.press('ArrowRight');
    await page.screenshot({ path: join(ARTIFACTS, 'ceremony-keyboard.png') });
    await page.keyboard.press('ArrowLeft');
    const focused = async () => Number(await page.evaluate(() => document.activeElement?.getAttribute('data-zone')));
    for (let r = 0; r < ROUNDS; r++) {
      await waitForRound(page, r, ROUNDS);
      const zone = await rightZone(page, MAPPED, r);
      if (r % 3 === 0) {
        await page.keyboard.press(String(zone));
      } else {
        // Arrow keys walk round the hexagon (Right clockwise, Left anticlockwise), then Enter or Space answers.
        const from = await focused();
        const cw = (zone - from + 6) % 6;
        const [key, steps] = cw <= 3 ? ['ArrowRight', cw] : ['ArrowLeft', 6 - cw];
        for (let i = 0; i < steps; i++) await page.keyboard.press(key);
        assert.equal(await focused(), zone);
        await page.keyboard.press(r % 3 === 1 ? 'Enter' : ' ');
      }
    }
    await page.waitForSelector('.outcome.success');
    // The outcome heading takes focus, so a screen reader user lands on it.
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H2');
    await verifiedCleanly(page, seen, 'carol');
  });

  test('return_to (allow-listed): after success the browser lands on it with #receipt=<JWS>, which its server never sees', async () => {
    const page = await browser.newPage();
    const seen = await watch(page);
    const returnTo = `${rp.origin}/done?session=42`;
    await page.goto(`${base}/ceremony/dave?return_to=${encodeURIComponent(returnTo)}`);
    assert.match((await page.textContent('main'))!, new RegExp(`returned to ${rp.origin}`));
    await clickThrough(page, PLAIN);
    await page.waitForURL((u) => u.origin === rp.origin);
    const landed = new URL(page.url());
    assert.equal(landed.pathname + landed.search, '/done?session=42');
    const m = /^#receipt=([A-Za-z0-9_.-]+)$/.exec(landed.hash);
    assert.ok(m, landed.hash);
    await verify(m[1]!, 'dave');
    assert.ok(rp.requests.includes('/done?session=42'));
    assert.ok(rp.requests.every((u) => !u.includes('receipt') && !u.includes(m[1]!.slice(0, 20))));
    assert.deepEqual(seen.errors, []);
    await page.close();
  });

  test('return_to not allow-listed: chromium shows the 400 page and no ceremony starts', async () => {
    const page = await browser.newPage();
    const seen = await watch(page);
    const res = await page.goto(`${base}/ceremony/dave?return_to=${encodeURIComponent(`${evil.origin}/done`)}`);
    assert.equal(res?.status(), 400);
    assert.equal(await page.textContent('h1'), 'Relying party not allowed');
    assert.equal(await page.$('.zone'), null);
    assert.equal(await page.$('script'), null);
    assert.deepEqual(
      seen.errors.filter((e) => !/status of 400/.test(e)),
      [],
    );
    await page.close();
  });

  test('opener flow: an allow-listed opener receives {type:"eni6ma:receipt", receipt} by postMessage; another origin receives nothing', async () => {
    for (const [site, allowed] of [
      [rp, true],
      [evil, false],
    ] as const) {
      const page = await browser.newPage();
      // The evil site passes the allow-listed origin, hoping the receipt is posted to whoever opened the page.
      await page.goto(
        `${site.origin}/opener?u=${encodeURIComponent(`${base}/ceremony/erin?opener_origin=${encodeURIComponent(rp.origin)}`)}`,
      );
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#open')]);
      const seen = await watch(popup);
      await popup.waitForLoadState();
      await popup.reload(); // so that the CSP listener (installed after the popup opened) runs before the page script
      await clickThrough(popup, MAPPED);
      await popup.waitForSelector('.outcome.success');
      const receipt = await popup.inputValue('#receipt');
      await verify(receipt, 'erin');
      assert.match((await popup.textContent('#outcome'))!, new RegExp(`sent to ${rp.origin}`));
      // postMessage is asynchronous, and messages from one window to another arrive in order: once a marker
      // the popup posts now has arrived, so has any receipt the page posted before showing its outcome.
      await popup.evaluate(() => window.opener.postMessage('marker', '*'));
      await page.waitForFunction(() =>
        (window as unknown as { received: { data: unknown }[] }).received.some((m) => m.data === 'marker'),
      );
      const received = (await page.evaluate(() => (window as unknown as { received: unknown[] }).received)) as Array<{
        origin: string;
        data: unknown;
      }>;
      const marker = { origin: base, data: 'marker' };
      if (allowed) assert.deepEqual(received, [{ origin: base, data: { type: 'eni6ma:receipt', receipt } }, marker]);
      else assert.deepEqual(received, [marker]);
      assert.deepEqual(await seen.violations(), []);
      await popup.close();
      await page.close();
    }
  });

  test('framing: an allow-listed relying party may frame the page (and gets the message); any other origin is refused by frame-ancestors', async () => {
    const u = `${base}/ceremony/frank?opener_origin=${encodeURIComponent(rp.origin)}`;
    const good = await browser.newPage();
    await good.goto(`${rp.origin}/frame?u=${encodeURIComponent(u)}`);
    const frame = await (await good.waitForSelector('iframe')).contentFrame();
    assert.ok(frame);
    await frame.waitForFunction(
      (want) => document.getElementById('status')?.textContent === want,
      `Round 1 of ${ROUNDS}`,
    );
    await good.close();

    const bad = await browser.newPage();
    const refused = bad.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()) });
    await bad.goto(`${evil.origin}/frame?u=${encodeURIComponent(u)}`);
    await refused;
    const evilFrame = await (await bad.waitForSelector('iframe')).contentFrame();
    assert.equal(await evilFrame?.$('#ceremony'), null);
    await bad.close();
  });

  test('the CSP is enforced: script injected inline into the page does not run and is reported', async () => {
    const page = await browser.newPage();
    const seen = await watch(page);
    await page.goto(`${base}/ceremony/alice`);
    await waitForRound(page, 0, ROUNDS);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__pwned = true';
      document.body.append(s);
      const i = document.createElement('img');
      i.src = 'https://evil.example/pixel.png';
      document.body.append(i);
    });
    // An inline script runs as it is inserted, so once both violations are reported it has had its chance.
    await page.waitForFunction(() => {
      const v = (window as unknown as { __csp?: string[] }).__csp ?? [];
      return v.some((x) => x.startsWith('script-src')) && v.some((x) => x.startsWith('img-src'));
    });
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned), undefined);
    const v = await seen.violations();
    assert.ok(
      v.some((x) => x.startsWith('script-src')),
      v.join('\n'),
    );
    assert.ok(
      v.some((x) => x.startsWith('img-src') && x.includes('evil.example')),
      v.join('\n'),
    );
    await page.close();
  });
});
