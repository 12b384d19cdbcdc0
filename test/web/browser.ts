// Debian's chromium through playwright-core (never a downloaded browser), and how the tests read and answer
// the ceremony page the way a person would: from what it shows.
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SIXZONE_BEARINGS, type SixzoneSecret } from '../../src/client/sixzone.js';
import { systemSkip } from '../helpers/system.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The `skip` option of a suite that needs chromium. */
export const browserSkip = (suite: string) => systemSkip(suite, ['chromium']);

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });

/** What the test reads from the page for one round: the zones' accessible labels. */
interface ZoneLabel {
  zone: number;
  bearing: string;
  colour: string;
  symbols: string[];
}

const BEARING_WORDS: Record<string, string> = {
  north: 'N',
  'north-east': 'NE',
  'south-east': 'SE',
  south: 'S',
  'south-west': 'SW',
  'north-west': 'NW',
};

async function zoneLabels(page: Page): Promise<ZoneLabel[]> {
  const labels = await page.$$eval('.zone', (els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  return labels.map((label) => {
    const m = /^Zone ([1-6]), ([a-z-]+), ([a-z]+): ([A-Z0-9 ]+)$/.exec(label);
    assert.ok(m, `unexpected zone label ${JSON.stringify(label)}`);
    return { zone: Number(m[1]), bearing: BEARING_WORDS[m[2]!]!, colour: m[3]!, symbols: m[4]!.split(' ') };
  });
}

/** The zone (1–6) to answer in round r, worked out the way a person would: from what the page shows. */
export async function rightZone(page: Page, secret: SixzoneSecret, r: number): Promise<number> {
  const zones = await zoneLabels(page);
  assert.deepEqual(
    zones.map((z) => z.bearing),
    [...SIXZONE_BEARINGS],
  );
  assert.equal(
    zones
      .flatMap((z) => z.symbols)
      .sort()
      .join(''),
    [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'].join(''),
  );
  // The colour is also written next to each zone, not only painted.
  const visible = await page.$$eval('.zone-label', (els) => els.map((e) => e.textContent));
  assert.deepEqual(
    visible,
    zones.map((z) => `${z.zone} · ${z.colour}`),
  );
  const symbol = secret.symbols[r % secret.symbols.length]!;
  const holder = zones.find((z) => z.symbols.includes(symbol))!;
  const bearing = secret.mapping ? secret.mapping[holder.colour as keyof typeof secret.mapping] : holder.bearing;
  return SIXZONE_BEARINGS.indexOf(bearing as (typeof SIXZONE_BEARINGS)[number]) + 1;
}

export async function waitForRound(page: Page, r: number, n: number): Promise<void> {
  await page.waitForFunction(
    ([want]) => document.getElementById('status')?.textContent === want,
    [`Round ${r + 1} of ${n}`],
  );
}

/** Console errors, page errors and CSP violations of a page (the listener is installed before any page script). */
export async function watch(page: Page): Promise<{ errors: string[]; violations: () => Promise<string[]> }> {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { errors, violations: () => page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []) };
}
