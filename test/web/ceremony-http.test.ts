// The ceremony page over plain HTTP: headers, allow-list refusals, error pages and escaping (no browser).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { packageRoot } from '../../src/paths.js';
import { WEB_BUILD_DIR } from '../../src/web/assets.js';
import { adminHeaders } from '../proof/mint.js';
import { defer } from '../helpers/cleanup.js';
import { call, tempDir } from '../helpers/registry.js';
import { MAPPED, startCeremonyRegistry, TOKEN } from './setup.js';

const RP = 'https://rp.example';
const OPENER = 'https://app.example:8443';
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'";

async function get(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** No inline script or style anywhere: every script has a src, no <style>, no style= or on*= attributes. */
function assertNoInlineCode(html: string) {
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? [])
    assert.match(tag, /\ssrc="\/ceremony\/assets\/[A-Za-z0-9_-]+\.js"/, tag);
  assert.doesNotMatch(html, /<script\b[^>]*>[^<]+<\/script>/i);
  assert.doesNotMatch(html, /<style\b/i);
  assert.doesNotMatch(html, /\sstyle=/i);
  assert.doesNotMatch(html, /\son[a-z]+=/i);
}

function assertStrictHeaders(h: Headers, frameAncestors: string) {
  assert.equal(h.get('content-security-policy'), `${CSP}; frame-ancestors ${frameAncestors}`);
  assert.equal(h.get('x-content-type-options'), 'nosniff');
  assert.equal(h.get('referrer-policy'), 'no-referrer');
  assert.ok(h.get('cross-origin-opener-policy'));
}

describe('ceremony page over HTTP', () => {
  let ctx: Awaited<ReturnType<typeof startCeremonyRegistry>>;
  let base: string;

  before(async () => {
    ctx = await startCeremonyRegistry({
      // Written the way an operator might (capitals in the host, the default port): compared as browsers serialise origins.
      ceremony: { return_to_origins: ['https://RP.Example:443'], opener_origins: [OPENER] },
      circuits: { alice: MAPPED, revoked: MAPPED },
    });
    base = ctx.reg.url;
  });
  after(() => ctx.reg.close());

  test('the page: HTML, no-cache, strict headers, frame-ancestors = the relying parties, hashed assets with long cache', async () => {
    const r = await get(`${base}/ceremony/alice`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assertStrictHeaders(r.headers, `${RP} ${OPENER}`);
    assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
    assertNoInlineCode(r.text);
    assert.match(r.text, /<main id="ceremony" data-handle="alice"/);
    assert.doesNotMatch(r.text, /data-return-to|data-opener-origin/);

    const assets = [...r.text.matchAll(/(?:src|href)="(\/ceremony\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2);
    for (const path of assets) {
      assert.match(path, /\/ceremony-[A-Z0-9]{8}\.(js|css)$/);
      const a = await get(base + path);
      assert.equal(a.status, 200);
      assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(a.headers.get('content-type')!, path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assertStrictHeaders(a.headers, `${RP} ${OPENER}`);
      assert.ok(a.text.length > 500);
    }
    // Nothing is fetched from elsewhere: no absolute URLs to other hosts in the markup, and no @import / url() to one in the CSS.
    assert.doesNotMatch(r.text, /(src|href)="(https?:)?\/\//);
    const css = (await get(base + assets.find((p) => p.endsWith('.css'))!)).text;
    assert.doesNotMatch(css, /@import|url\(\s*['"]?(https?:)?\/\//);

    const missing = await call(base, 'GET', '/ceremony/assets/ceremony-AAAAAAAA.js');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
  });

  test('without any relying party configured, frame-ancestors is none and X-Frame-Options DENY', async (t) => {
    const bare = await startCeremonyRegistry({ ceremony: {}, circuits: { alice: MAPPED } });
    defer(t, () => bare.reg.close());
    const r = await get(`${bare.reg.url}/ceremony/alice`);
    assert.equal(r.status, 200);
    assertStrictHeaders(r.headers, "'none'");
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    const refused = await get(`${bare.reg.url}/ceremony/alice?return_to=${encodeURIComponent(`${RP}/done`)}`);
    assert.equal(refused.status, 400);
  });

  test('an allow-listed return_to and opener_origin reach the page in data attributes; the opener flow keeps window.opener', async () => {
    const r = await get(
      `${base}/ceremony/alice?return_to=${encodeURIComponent(`${RP}/done?session=42`)}&opener_origin=${encodeURIComponent(OPENER)}`,
    );
    assert.equal(r.status, 200);
    assert.match(r.text, new RegExp(`data-return-to="${RP}/done\\?session=42"`));
    assert.match(r.text, new RegExp(`data-opener-origin="${OPENER}"`));
    assert.equal(r.headers.get('cross-origin-opener-policy'), 'unsafe-none');
    assertNoInlineCode(r.text);
  });

  test('return_to whose origin is not allow-listed is refused with a 400 page (lookalikes, credentials, schemes, relative, repeated)', async () => {
    const attempts = [
      'https://evil.example/done',
      'http://rp.example/done', // same host, other scheme
      'https://rp.example:444/done', // other port
      'https://rp.example.evil.example/done',
      'https://evil.example/https://rp.example/',
      `https://rp.example@evil.example/done`, // userinfo: the origin is evil.example
      'https://user:pw@rp.example/done', // credentials to the right origin
      'javascript:alert(document.domain)//https://rp.example',
      'data:text/html,hi',
      '//rp.example/done',
      '/done',
    ];
    for (const attempt of attempts) {
      const r = await get(`${base}/ceremony/alice?return_to=${encodeURIComponent(attempt)}`);
      assert.equal(r.status, 400, attempt);
      assert.match(r.headers.get('content-type')!, /^text\/html/);
      assertStrictHeaders(r.headers, `${RP} ${OPENER}`);
      assert.match(r.text, /Relying party not allowed/);
      assert.doesNotMatch(r.text, /<script/i, attempt);
      assert.doesNotMatch(r.text, /data-return-to/);
    }
    const twice = await get(
      `${base}/ceremony/alice?return_to=${encodeURIComponent(`${RP}/a`)}&return_to=${encodeURIComponent(`${RP}/b`)}`,
    );
    assert.equal(twice.status, 400);
    assert.match(twice.headers.get('content-type')!, /^text\/html/);
    assert.doesNotMatch(twice.text, /<script/i);
  });

  test('opener_origin must be exactly an allow-listed origin', async () => {
    for (const attempt of ['https://evil.example', 'https://app.example', `${OPENER}/`, '*', RP]) {
      const r = await get(`${base}/ceremony/alice?opener_origin=${encodeURIComponent(attempt)}`);
      assert.equal(r.status, 400, attempt);
      assert.doesNotMatch(r.text, /<script/i);
      assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
    }
  });

  test('unknown circuit: 404 page without script, the handle escaped; revoked circuit: 403 page', async () => {
    const r = await get(`${base}/ceremony/nobody`);
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    assertStrictHeaders(r.headers, `${RP} ${OPENER}`);
    assert.match(r.text, /Unknown circuit/);
    assert.doesNotMatch(r.text, /<script/i);

    const xss = await get(`${base}/ceremony/${encodeURIComponent('"><script>alert(1)</script>')}`);
    assert.equal(xss.status, 404);
    assert.doesNotMatch(xss.text, /<script/i);
    assert.match(xss.text, /&#34;&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;/);

    const rv = await call(
      base,
      'POST',
      '/api/admin/revocations',
      { sha256: ctx.minted.revoked!.manifest.sha256 },
      adminHeaders(TOKEN),
    );
    assert.equal(rv.status, 200);
    const revoked = await get(`${base}/ceremony/revoked`);
    assert.equal(revoked.status, 403);
    assert.match(revoked.text, /revoked/);
    assert.doesNotMatch(revoked.text, /<script/i);
  });

  test('an allow-listed return_to with markup in it is escaped in the data attribute', async () => {
    const r = await get(
      `${base}/ceremony/alice?return_to=${encodeURIComponent(`${RP}/x?q="><img src=x onerror=alert(1)>'`)}`,
    );
    assert.equal(r.status, 200);
    const m = /data-return-to="([^"]*)"/.exec(r.text);
    assert.ok(m);
    assert.doesNotMatch(m[1]!, /[<>"]/);
    assertNoInlineCode(r.text);
  });

  test('the asset build is reproducible: building again gives the same file names and bytes', (t) => {
    const dir = tempDir(t, 'enigma-web-');
    const r = spawnSync(process.execPath, [join(packageRoot, 'web', 'build.mjs'), dir.path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(WEB_BUILD_DIR).sort();
    assert.deepEqual(readdirSync(dir.path).sort(), files);
    for (const f of files) assert.ok(readFileSync(join(dir.path, f)).equals(readFileSync(join(WEB_BUILD_DIR, f))), f);
  });
});
