// The SDK's node directory client: register, resolve, check_user, announce, sync and nodes, with proof of work.
import { x25519 } from '@noble/curves/ed25519.js';
import type { Static } from 'typebox';
import type { PublicIdentity } from './wire-identity.js';
import type { EnvelopePubkey, NodeInfo } from './wire-directory.js';
import { bytesToHex, parseHex, utf8ToBytes } from './encoding.js';
import { openEnvelope, sealEnvelope, type EnvelopeWire } from './envelope.js';
import { RegistryError } from './errors.js';
import { HttpClient, type ClientOptions, type RequestOptions } from './http.js';
import { solvePow, type PowChallenge, type PowProgress } from './pow.js';

// The node directory (wire format of enigma-node-registry 0.0.2). Identities travel sealed to the
// registry's envelope key; the pepper is the deployment's shared secret (envelope.pepper_hex).

export type EnvelopeKey = Static<typeof EnvelopePubkey>;
export type RegistryNode = Static<typeof NodeInfo>;

export interface DirectoryOptions extends ClientOptions {
  /** The deployment's envelope pepper, 32 bytes hex: needed by register and resolve. */
  pepperHex?: string;
  /** Solve PoW in a Web Worker when available (default true). */
  powWorker?: boolean;
}

/** Per-call options: cancel (also cancels a PoW solve), and watch the PoW solve's progress. */
export interface CallOptions {
  signal?: AbortSignal;
  onPowProgress?: (p: PowProgress) => void;
}

/** A POW_REQUIRED answer is met with a fresh challenge this many times before the error is surfaced. */
const POW_ATTEMPTS = 2;

function handleBytes(handle: string): Uint8Array {
  const b = parseHex(handle, 32);
  if (!b) throw new RegistryError('INVALID_INPUT', 'handle must be 32 bytes hex');
  return b;
}

export class DirectoryClient {
  readonly http: HttpClient;
  private readonly pepper: Uint8Array | undefined;
  private readonly powWorker: boolean;
  /** Set after the first POW_REQUIRED, so later calls solve first instead of paying a refused round trip. */
  private powKnownRequired = false;

  constructor(o: DirectoryOptions) {
    this.http = new HttpClient(o);
    if (o.pepperHex !== undefined) {
      this.pepper = parseHex(o.pepperHex, 32);
      if (!this.pepper) throw new RegistryError('INVALID_INPUT', 'pepperHex must be 32 bytes hex');
    }
    this.powWorker = o.powWorker ?? true;
  }

  private needPepper(): Uint8Array {
    if (!this.pepper) throw new RegistryError('INVALID_INPUT', 'this call needs the deployment pepper: pass pepperHex');
    return this.pepper;
  }

  /** Fetches `/pow/challenge` and solves it: the `x-enigma-pow` header. */
  async powHeader(o: CallOptions = {}): Promise<Record<string, string>> {
    const ch = await this.http.request<PowChallenge>('GET', '/pow/challenge', { retry: 'safe', signal: o.signal });
    const solution = await solvePow(ch, { signal: o.signal, onProgress: o.onPowProgress, worker: this.powWorker });
    return { 'x-enigma-pow': `${ch.challenge}:${solution}` };
  }

  /** Sends a request, answering POW_REQUIRED with a solved challenge (bounded; each solution is single use). */
  private async withPow<T>(
    method: string,
    path: string,
    r: Omit<RequestOptions, 'headers'>,
    o: CallOptions,
  ): Promise<T> {
    let headers = this.powKnownRequired ? await this.powHeader(o) : {};
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.http.request<T>(method, path, { ...r, headers, signal: o.signal });
      } catch (e) {
        if (!(e instanceof RegistryError && e.code === 'POW_REQUIRED') || attempt >= POW_ATTEMPTS) throw e;
        this.powKnownRequired = true;
        headers = await this.powHeader(o);
      }
    }
  }

  /** The active envelope key (`GET /envelope_pubkey`). */
  envelopeKey(o: CallOptions = {}): Promise<EnvelopeKey> {
    return this.http.request('GET', '/envelope_pubkey', { retry: 'safe', signal: o.signal });
  }

  /**
   * Seals `identity` to the active envelope key and registers it under its user_id. Retried on 429 only:
   * after a 5xx or network error the identity may be stored, and a resend would answer CONFLICT.
   */
  async register(identity: PublicIdentity, o: CallOptions = {}): Promise<void> {
    const pepper = this.needPepper();
    const handle = identity.user_id.toLowerCase();
    const h = handleBytes(handle);
    const key = await this.envelopeKey(o);
    const kid = parseHex(key.kid_hex, 8);
    const recipientPublic = parseHex(key.x25519_public_key_hex, 32);
    if (!kid || !recipientPublic)
      throw new RegistryError('BAD_RESPONSE', 'malformed /envelope_pubkey answer', 200, key);
    const envelope = sealEnvelope({
      pepper,
      handle: h,
      kid,
      recipientPublic,
      plaintext: utf8ToBytes(JSON.stringify(identity)),
    });
    await this.http.request('POST', '/register', { body: { handle, envelope }, retry: 'rate-limit', signal: o.signal });
  }

  /**
   * The identity registered under `handle` (hex user id; see handleOf), or null. The registry re-seals it
   * to a one-time key made here; an envelope that does not open, or an identity for another user id,
   * is RegistryError BAD_ENVELOPE.
   */
  async resolve(handle: string, o: CallOptions = {}): Promise<PublicIdentity | null> {
    const pepper = this.needPepper();
    const h = handleBytes(handle);
    const ephemeral = x25519.utils.randomSecretKey();
    const requester_ephemeral_pubkey_hex = bytesToHex(x25519.getPublicKey(ephemeral));
    const r = await this.withPow<{ handle: string; envelope: EnvelopeWire | null }>(
      'POST',
      '/resolve',
      { body: { handle: handle.toLowerCase(), requester_ephemeral_pubkey_hex }, retry: 'safe' },
      o,
    );
    if (r.envelope === null) return null;
    const plain = openEnvelope(pepper, h, ephemeral, r.envelope);
    let identity: PublicIdentity;
    try {
      identity = JSON.parse(new TextDecoder().decode(plain)) as PublicIdentity;
    } catch {
      throw new RegistryError('BAD_ENVELOPE', 'resolved envelope does not hold JSON');
    }
    if (typeof identity?.user_id !== 'string' || identity.user_id.toLowerCase() !== handle.toLowerCase()) {
      throw new RegistryError('BAD_ENVELOPE', 'resolved identity is for another user id');
    }
    return identity;
  }

  /** Whether `handle` is registered. */
  async checkUser(handle: string, o: CallOptions = {}): Promise<boolean> {
    handleBytes(handle);
    const r = await this.withPow<{ exists: boolean }>(
      'GET',
      `/check_user/${handle.toLowerCase()}`,
      { retry: 'safe' },
      o,
    );
    return r.exists;
  }

  /** Announces presence at `addr` (expires after the registry's presence.ttl_seconds). */
  async announce(userId: string, addr: string, o: CallOptions & { tsMs?: number } = {}): Promise<void> {
    await this.http.request('POST', '/announce', {
      body: { user_id: userId.toLowerCase(), addr, ts_ms: o.tsMs ?? Date.now() },
      retry: 'safe',
      signal: o.signal,
    });
  }

  /** Offers identities to the registry (a peer's sync); resolves with how many were new. `token`: the sync token the registry gave this peer. */
  async sync(identities: PublicIdentity[], o: CallOptions & { token?: string } = {}): Promise<number> {
    const r = await this.http.request<{ merged: number }>('POST', '/sync', {
      body: { identities },
      retry: 'safe', // merging is idempotent: a resend merges nothing new
      signal: o.signal,
      ...(o.token !== undefined && { headers: { authorization: `Bearer ${o.token}` } }),
    });
    return r.merged;
  }

  /** Registry nodes the registry knows. */
  async nodes(o: CallOptions = {}): Promise<RegistryNode[]> {
    return (await this.http.request<{ nodes: RegistryNode[] }>('GET', '/nodes', { retry: 'safe', signal: o.signal }))
      .nodes;
  }

  /** Adds registry nodes; resolves with how many were new. */
  async addNodes(nodes: RegistryNode[], o: CallOptions = {}): Promise<number> {
    return (
      await this.http.request<{ merged: number }>('POST', '/nodes', {
        body: { nodes },
        retry: 'safe',
        signal: o.signal,
      })
    ).merged;
  }
}
