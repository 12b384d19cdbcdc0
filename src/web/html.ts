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
}

/** The ceremony page: static markup the script fills in; its settings travel in data attributes. */
export function ceremonyPage(o: CeremonyPageOptions): string {
  const attr = (name: string, value: string | undefined) => (value === undefined ? '' : ` data-${name}="${escapeHtml(value)}"`);
  const destination = o.returnTo ? `<p class="help">On success you will be returned to <strong>${escapeHtml(new URL(o.returnTo).origin)}</strong> with the receipt.</p>\n` : '';
  return document(
    `Six-zone ceremony · ${o.handle}`,
    o.assets.style,
    o.assets.script,
    `<main id="ceremony"${attr('handle', o.handle)}${attr('return-to', o.returnTo)}${attr('opener-origin', o.openerOrigin)} aria-busy="true">
<h1>Six-zone ceremony</h1>
<p class="subtitle">Circuit <code>${escapeHtml(o.handle)}</code></p>
<p class="help">Each round, find the zone holding the next symbol of your secret and answer with the zone your colour mapping gives for its colour (that zone itself if you have no mapping). Click a zone, press 1–6, or move between zones with Tab or the arrow keys and press Enter.</p>
${destination}<div class="progress-row"><p id="status" role="status" aria-live="polite">Loading…</p><progress id="progress" max="1" value="0" aria-label="Rounds answered"></progress></div>
<div id="board"></div>
<section id="outcome" hidden></section>
<noscript><p>This page needs JavaScript.</p></noscript>
</main>`,
  );
}

/** An error page (unknown circuit, refused relying party, assets not built): no script at all. */
export function messagePage(title: string, message: string, style?: string): string {
  return document(title, style, undefined, `<main class="error-page">\n<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n</main>`);
}
