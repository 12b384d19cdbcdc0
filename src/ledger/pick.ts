// Choosing the nonce ledger for a challenge: the default or an allow-listed URL, and finding it again at validate.
import { invalidInput } from '../errors.js';
import type { Config } from '../config/schema.js';
import { HttpLedger } from './http-client.js';
import type { Ledger } from './ledger.js';

/** What picking a ledger needs: the default ledger and the `[ledger]` section (url, allow-list, timeout). */
export interface LedgerChoices {
  ledger: Ledger;
  config: Pick<Config, 'ledger'>;
}

/** The id bound into a challenge for the registry's own store. */
export const EMBEDDED_LEDGER = 'embedded';

/** A ledger and the id to bind into a challenge: `embedded` or the ledger's normalised URL. */
export interface PickedLedger {
  id: string;
  ledger: Ledger;
}

/**
 * One spelling per ledger, so that allow-list checks compare like with like: scheme, lower-case host,
 * explicit non-default port, path without trailing slash. Credentials, queries and fragments are refused.
 */
export function normalizeLedgerUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalidInput('ledger URL is not a URL');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash)
    throw invalidInput('ledger URL must be a plain http(s) URL');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** The default ledger's id: the configured remote ledger, or the embedded one. */
export function defaultLedgerId(ctx: LedgerChoices): string {
  return ctx.config.ledger.url ? normalizeLedgerUrl(ctx.config.ledger.url) : EMBEDDED_LEDGER;
}

/** The ledger for a client-supplied URL: only the default or one in `ledger.allowed_urls`, else 400 before any request. */
export function ledgerForUrl(ctx: LedgerChoices, url: string): PickedLedger {
  return ledgerById(ctx, normalizeLedgerUrl(url));
}

/**
 * The ledger a challenge was bound to (`PickedLedger.id`), so validate burns where the nonce was reserved.
 * Throws 400 INVALID_INPUT for an id that is not (or no longer) configured.
 */
export function ledgerById(ctx: LedgerChoices, id: string): PickedLedger {
  if (id === defaultLedgerId(ctx)) return { id, ledger: ctx.ledger };
  if (id !== EMBEDDED_LEDGER && ctx.config.ledger.allowed_urls.some((a) => normalizeLedgerUrl(a) === id))
    return { id, ledger: new HttpLedger(id, ctx.config.ledger.timeout_ms) };
  throw invalidInput('ledger URL is not allowed by this registry (ledger.allowed_urls)');
}

/** The ledger for a challenge, from the optional `x-eni6ma-ledger-url` header (no header: the default). */
export function pickLedger(ctx: LedgerChoices, headerValue: string | string[] | undefined): PickedLedger {
  if (headerValue === undefined || headerValue === '') return { id: defaultLedgerId(ctx), ledger: ctx.ledger };
  if (Array.isArray(headerValue)) throw invalidInput('x-eni6ma-ledger-url given more than once');
  return ledgerForUrl(ctx, headerValue);
}
