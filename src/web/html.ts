// The HTML of the ceremony page, the error pages and the landing page, with escaping.
import type { WebAssets } from './assets.js';

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function document(title: string, style: string | undefined, script: string | undefined, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
${style ? `<link rel="stylesheet" href="${escapeHtml(style)}">\n` : ''}${script ? `<script type="module" src="${escapeHtml(script)}"></script>\n` : ''}</head>
<body>
${body}
</body>
</html>
`;
}

export interface CeremonyPageOptions {
  handle: string;
  assets: WebAssets;
  returnTo?: string | undefined;
  openerOrigin?: string | undefined;
  /** Extra guidance shown above the board (the local demo gives its public secret). */
  note?: string | undefined;
}

/** The ceremony page: static markup the script fills in; its settings travel in data attributes. */
export function ceremonyPage(o: CeremonyPageOptions): string {
  const attr = (name: string, value: string | undefined) =>
    value === undefined ? '' : ` data-${name}="${escapeHtml(value)}"`;
  const destination = o.returnTo
    ? `<p class="help">On success you will be returned to <strong>${escapeHtml(new URL(o.returnTo).origin)}</strong> with the receipt.</p>\n`
    : '';
  return document(
    `Six-zone ceremony · ${o.handle}`,
    o.assets.style,
    o.assets.script,
    `<main id="ceremony"${attr('handle', o.handle)}${attr('return-to', o.returnTo)}${attr('opener-origin', o.openerOrigin)} aria-busy="true">
<h1>Six-zone ceremony</h1>
<p class="subtitle">Circuit <code>${escapeHtml(o.handle)}</code></p>
<p class="help">Each round, find the zone holding the next symbol of your secret and answer with the zone your colour mapping gives for its colour (that zone itself if you have no mapping). Click a zone, press 1–6, or move between zones with Tab or the arrow keys and press Enter.</p>
${o.note ? `<p class="help"><strong>${escapeHtml(o.note)}</strong></p>\n` : ''}${destination}<div class="progress-row"><p id="status" role="status" aria-live="polite">Loading…</p><progress id="progress" max="1" value="0" aria-label="Rounds answered"></progress></div>
<div id="board"></div>
<section id="outcome" hidden></section>
<noscript><p>This page needs JavaScript.</p></noscript>
</main>`,
  );
}

/** An error page (unknown circuit, refused relying party, assets not built): no script at all. */
export function messagePage(title: string, message: string, style?: string): string {
  return document(
    title,
    style,
    undefined,
    `<main class="error-page">\n<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n</main>`,
  );
}

/** What `GET /` links to; the JSON index carries the same. */
export interface LandingLinks {
  version: string;
  /** The local demo, when it is on and published. */
  demo?: { handle: string; secret: string; ceremony: string } | undefined;
  links: Record<'docs' | 'openapi' | 'health' | 'circuits' | 'readme', string>;
}

/** `GET /` for browsers: what this server is, the demo (when on), and where to go next. No script. */
export function landingPage(l: LandingLinks, style?: string): string {
  const a = (href: string, text: string) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
  const demo = l.demo
    ? `<h2>Try the demo</h2>
<p class="help">This registry runs a <strong>local demo</strong>: the circuit <code>${escapeHtml(l.demo.handle)}</code>, whose secret is public. Never use it for anything real.</p>
<p>Secret: <code id="demo-secret">${escapeHtml(l.demo.secret)}</code></p>
<p class="help">In each of the 12 rounds the symbols are dealt into six coloured zones. Click (or press the number of) the zone that holds the next symbol of the secret: ${escapeHtml(l.demo.secret[0]!)}, then ${escapeHtml(l.demo.secret[1]!)}, and so on; after the last symbol start again from the first. A correct run ends with “Verified” and a signed receipt.</p>
<p>${a(l.demo.ceremony, `Start the demo ceremony (${l.demo.handle})`)}</p>
`
    : '';
  return document(
    'enigma-registry',
    style,
    undefined,
    `<main class="landing">
<h1>enigma-registry</h1>
<p class="subtitle">Version ${escapeHtml(l.version)} · Enigma node directory and circuit registry / proof gateway</p>
${demo}<h2>Next steps</h2>
<ul>
<li>${a(l.links.docs, 'API documentation')} (Swagger UI; the OpenAPI document is at ${a(l.links.openapi, l.links.openapi)})</li>
<li>${a(l.links.health, 'Health')} and ${a(l.links.circuits, 'published circuits')}</li>
<li>${a(l.links.readme, 'README')}: the walk-through from operator keys to your first circuit and a verified receipt</li>
</ul>
</main>`,
  );
}
