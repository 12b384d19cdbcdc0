// The ceremony page's relying parties: the allow-listed origins and checks of `return_to` and `opener_origin`.
import type { Config } from '../config/schema.js';

/** The allow-lists of [ceremony], normalised to origins as browsers serialise them (lower-case host, no default port). */
export interface RelyingParties {
  returnTo: Set<string>;
  opener: Set<string>;
  /** Origins that may frame the page: every listed relying party. */
  frameAncestors: string[];
}

export function relyingParties(config: Config['ceremony']): RelyingParties {
  const norm = (list: string[]) => list.map((o) => new URL(o).origin);
  const returnTo = norm(config.return_to_origins);
  const opener = norm(config.opener_origins);
  return {
    returnTo: new Set(returnTo),
    opener: new Set(opener),
    frameAncestors: [...new Set([...returnTo, ...opener])],
  };
}

export type Checked = { ok: true; value: string | undefined } | { ok: false; reason: string };

/** `?return_to=`: an absolute http(s) URL whose origin is allow-listed; returned normalised. */
export function checkReturnTo(raw: unknown, rp: RelyingParties): Checked {
  if (raw === undefined) return { ok: true, value: undefined };
  if (typeof raw !== 'string') return { ok: false, reason: 'return_to must be given once' };
  if (raw.length > 2048) return { ok: false, reason: 'return_to is longer than 2048 characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'return_to must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: 'return_to must be an http(s) URL' };
  if (url.username || url.password) return { ok: false, reason: 'return_to must not carry credentials' };
  if (!rp.returnTo.has(url.origin))
    return { ok: false, reason: `return_to origin ${url.origin} is not in ceremony.return_to_origins` };
  return { ok: true, value: url.href };
}

/** `?opener_origin=`: exactly an allow-listed origin (the page posts the receipt only to it). */
export function checkOpenerOrigin(raw: unknown, rp: RelyingParties): Checked {
  if (raw === undefined) return { ok: true, value: undefined };
  if (typeof raw !== 'string') return { ok: false, reason: 'opener_origin must be given once' };
  if (!rp.opener.has(raw))
    return { ok: false, reason: `opener_origin ${raw.slice(0, 200)} is not in ceremony.opener_origins` };
  return { ok: true, value: raw };
}
