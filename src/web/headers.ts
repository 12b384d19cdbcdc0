/**
 * Headers of every ceremony response (page, error pages, assets). The CSP allows only this origin's own
 * script and style files (no inline code), connections back to this origin, and framing by the
 * allow-listed relying parties alone.
 */
export function securityHeaders(frameAncestors: string[], opts: { keepOpener?: boolean } = {}): Record<string, string> {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'";
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      // The SDK's proof-of-work solver runs in a Worker made from a Blob URL (src/client/pow.ts).
      'worker-src blob:',
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // same-origin severs window.opener across origins, so only the postMessage flow (an allow-listed
    // opener_origin) keeps it; every other page is isolated from whoever opened it.
    'cross-origin-opener-policy': opts.keepOpener ? 'unsafe-none' : 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(frameAncestors.length === 0 && { 'x-frame-options': 'DENY' }),
  };
}
