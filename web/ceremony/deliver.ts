// Hands the receipt to the relying party. Both targets were checked against the registry's allow-lists
// on the server before they reached the page's data attributes; the page never reads them from the URL.

export const RECEIPT_MESSAGE_TYPE = 'eni6ma:receipt';

export interface RelyingParty {
  /** Absolute URL; the receipt goes in its fragment, which browsers never send to servers. */
  returnTo?: string;
  /** Exact origin that window.opener (or the framing parent) must have for the message to be delivered. */
  openerOrigin?: string;
}

/** Sends the receipt; returns what the user should be told, or undefined when there was nowhere to send it. */
export function deliverReceipt(receipt: string, rp: RelyingParty): string | undefined {
  const told: string[] = [];
  if (rp.openerOrigin) {
    const target = window.opener ?? (window.parent !== window ? window.parent : null);
    if (target) {
      // The explicit target origin makes the browser drop the message if the window is anywhere else.
      (target as Window).postMessage({ type: RECEIPT_MESSAGE_TYPE, receipt }, rp.openerOrigin);
      told.push(`The receipt was sent to ${rp.openerOrigin}.`);
    }
  }
  if (rp.returnTo) {
    const url = new URL(rp.returnTo);
    url.hash = `receipt=${encodeURIComponent(receipt)}`;
    told.push(`Returning you to ${url.origin}…`);
    window.location.assign(url.href);
  } else if (told.length > 0) {
    told.push('You can close this window.');
  }
  return told.length > 0 ? told.join(' ') : undefined;
}
