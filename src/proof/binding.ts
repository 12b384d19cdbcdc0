// The tau a challenge hands the client: its MAC'd binding to nonce, ledger and build, and the circuit seed.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a challenge commits to; the registry keeps none of it, the client echoes it back inside `tau`. */
export interface Binding {
  nonce_uuid: string;
  /** The tau the ledger issued for the reservation (burnt with the nonce). */
  ledger_tau: string;
  /** Where the nonce was reserved: `embedded` or a normalised ledger URL (see ledger/pick.ts). */
  ledger: string;
  handle: string;
  build_id: string;
  sha256: string;
}

const PREFIX = 'v1.';
/** A client-visible tau longer than this is refused unparsed. */
export const MAX_TAU_LENGTH = 2048;

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

/**
 * The client-visible tau: `v1.<base64url(JSON binding)>.<base64url(HMAC-SHA256(bind key, that JSON))>`.
 * Validate trusts the ledger, build and nonce named in it only when the MAC holds, so a client can neither
 * send the burn to another ledger nor move a challenge to another build. The seed of the circuit's
 * challenge is HMAC-SHA256(seed secret, nonce_uuid ‖ tau ‖ sha256) over this tau (DESIGN §5).
 */
export class TauBinder {
  private readonly bindKey: Buffer;

  constructor(private readonly seedSecret: Uint8Array) {
    // A separate key for the MAC, derived from the seed secret with HMAC as the PRF.
    this.bindKey = createHmac('sha256', seedSecret).update('eni6ma:tau-binding:v1').digest();
  }

  seal(b: Binding): string {
    const json = JSON.stringify([b.nonce_uuid, b.ledger_tau, b.ledger, b.handle, b.build_id, b.sha256]);
    return `${PREFIX}${b64url(json)}.${b64url(createHmac('sha256', this.bindKey).update(json).digest())}`;
  }

  /** The binding inside a tau, or undefined when it is malformed or its MAC does not hold. */
  open(tau: string): Binding | undefined {
    if (tau.length > MAX_TAU_LENGTH || !tau.startsWith(PREFIX)) return undefined;
    const parts = tau.slice(PREFIX.length).split('.');
    if (parts.length !== 2) return undefined;
    const json = Buffer.from(parts[0]!, 'base64url').toString('utf8');
    const mac = Buffer.from(parts[1]!, 'base64url');
    const expected = createHmac('sha256', this.bindKey).update(json).digest();
    // Re-encoding must reproduce the tau exactly: no alternative spellings of one binding.
    if (
      mac.length !== expected.length ||
      !timingSafeEqual(mac, expected) ||
      tau !== `${PREFIX}${b64url(json)}.${b64url(mac)}`
    )
      return undefined;
    const a = JSON.parse(json) as [string, string, string, string, string, string];
    return { nonce_uuid: a[0], ledger_tau: a[1], ledger: a[2], handle: a[3], build_id: a[4], sha256: a[5] };
  }

  /** The circuit seed (64 hex) for a nonce, client-visible tau and artifact SHA-256. */
  seed(nonceUuid: string, tau: string, sha256: string): string {
    return createHmac('sha256', this.seedSecret).update(`${nonceUuid}${tau}${sha256}`).digest('hex');
  }
}
