// The node directory's behaviour apart from HTTP: register, resolve, presence, sync and the node list.
import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { systemClock, type Clock } from '../config/clock.js';
import { bytesToHex, hexToBytes, parseHex, utf8ToBytes } from '../crypto/encoding.js';
import { conflict, invalidInput, ApiError } from '../errors.js';
import type { DirectoryStore } from '../storage/directory.js';
import { openEnvelope, parseEnvelope, sealEnvelope, type EnvelopeWire } from './envelope.js';
import type { PublicIdentity } from '../client/wire-identity.js';
import { canonicalIdentity, CONTROL, identityInvalid, identityProblem } from './identity.js';
import type { EnvelopeKeyring } from './keyring.js';
import { Vault } from './vault.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseHandle(handle: string, field = 'handle'): Uint8Array {
  const bytes = parseHex(handle, 32);
  if (!bytes) throw invalidInput(`${field} must be 32 bytes hex (a user id)`, { field });
  return bytes;
}

export interface DirectoryOptions {
  store: DirectoryStore;
  keyring: EnvelopeKeyring;
  pepper: Uint8Array;
  maxNodes: number;
  /** Node urls one client may have in the list (`nodes.max_per_client`). */
  nodesPerClient: number;
  presenceMaxEntries: number;
  /** Presence timestamps and their expiry; the system clock unless a test drives time. */
  clock?: Clock;
}

/** Standard base64 may come without its `=` padding (the Rust registry accepts both). */
const padBase64 = (s: string): string =>
  s.length % 4 === 2 || s.length % 4 === 3 ? s.padEnd(s.length + 4 - (s.length % 4), '=') : s;

/** A client for the node-list share: its IPv4 address, or the /64 of its IPv6 address (one host holds a whole /64). */
export function clientOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  const [head, tail] = ip.split('::').map(split);
  // An embedded IPv4 tail (a.b.c.d) takes two groups.
  const tailGroups = (tail ?? []).reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = [...head!, ...Array<string>(tail ? 8 - head!.length - tailGroups : 0).fill('0'), ...(tail ?? [])];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Node-directory behaviour, independent of HTTP. */
export class DirectoryService {
  private readonly vault: Vault;
  private readonly clock: Clock;
  constructor(private readonly options: DirectoryOptions) {
    this.vault = new Vault(options.pepper);
    this.clock = options.clock ?? systemClock;
  }

  get keyring(): EnvelopeKeyring {
    return this.options.keyring;
  }

  async register(handleHex: string, envelope: EnvelopeWire): Promise<void> {
    const handle = parseHandle(handleHex);
    const parsed = parseEnvelope({ ...envelope, ciphertext: padBase64(envelope.ciphertext) });
    if ('bad' in parsed) {
      const field = `envelope.${parsed.bad}`;
      throw invalidInput(parsed.bad === 'kid' ? 'unknown or expired envelope key' : `${field} is malformed`, { field });
    }
    const key = this.options.keyring.find(envelope.kid);
    if (!key) throw invalidInput('unknown or expired envelope key', { kid: envelope.kid.toLowerCase() });
    const plaintext = openEnvelope(this.options.pepper, handle, key.priv, parsed);
    if (!plaintext) throw invalidInput('envelope decryption failed', { reason: 'authentication tag mismatch' });
    const identity = this.decodeIdentity(plaintext);
    if (identity.user_id.toLowerCase() !== bytesToHex(handle))
      throw invalidInput('handle does not match identity user_id');
    const index = this.vault.blindIndex(handle);
    const inserted = await this.options.store.insertIdentity(index, this.sealIdentity(index, identity));
    if (!inserted) throw conflict('handle already registered');
  }

  async resolve(handleHex: string, requesterPubHex: string): Promise<EnvelopeWire | null> {
    const handle = parseHandle(handleHex);
    const requester = parseHex(requesterPubHex, 32);
    if (!requester)
      throw invalidInput('requester_ephemeral_pubkey_hex must be 32 bytes hex', {
        field: 'requester_ephemeral_pubkey_hex',
      });
    const index = this.vault.blindIndex(handle);
    const sealed = await this.options.store.getIdentity(index);
    if (!sealed) return null;
    const key = this.options.keyring.active();
    if (!key)
      throw new ApiError('INTERNAL', 'no active envelope key', { hint: 'every configured envelope key has expired' });
    const plaintext = this.vault.open('identity', index, sealed);
    return sealEnvelope({
      pepper: this.options.pepper,
      handle,
      kid: key.kid,
      sender: key.priv,
      recipientPublic: requester,
      plaintext,
    });
  }

  /** Not async: the store's own promise is returned as is (adopting it in an async function cost two more ticks). */
  exists(handleHex: string): Promise<boolean> {
    try {
      return this.options.store.hasIdentity(this.vault.blindIndex(parseHandle(handleHex)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async announce(p: { user_id: string; addr: string; ts_ms: number }, now = this.clock.now()): Promise<void> {
    const handle = parseHandle(p.user_id, 'user_id');
    // Trimmed before the length check, as the Rust registry does; stored as sent.
    const addr = p.addr.trim();
    if (addr.length === 0) throw invalidInput('addr must not be blank', { field: 'addr' });
    if (Buffer.byteLength(addr, 'utf8') > 256) throw invalidInput('addr exceeds 256 bytes', { field: 'addr' });
    if (CONTROL.test(p.addr)) throw invalidInput('addr contains control characters', { field: 'addr' });
    if (p.ts_ms === 0) throw invalidInput('ts_ms must not be zero', { field: 'ts_ms' });
    const index = this.vault.blindIndex(handle);
    const body = utf8ToBytes(JSON.stringify({ user_id: bytesToHex(handle), addr: p.addr, ts_ms: p.ts_ms }));
    await this.options.store.upsertPresence(index, this.vault.seal('presence', index, body), now);
  }

  /** Merges identities (well-formed, as the route's schema checked) that are valid and new; never overwrites, skips the rest. */
  async sync(identities: PublicIdentity[]): Promise<number> {
    const rows: Array<{ index: Uint8Array; sealed: Uint8Array }> = [];
    const seen = new Set<string>();
    for (const identity of identities) {
      if (identityInvalid(identity) !== undefined) continue;
      const handle = hexToBytes(identity.user_id.toLowerCase());
      const index = this.vault.blindIndex(handle);
      const key = bytesToHex(index);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ index, sealed: this.sealIdentity(index, identity) });
    }
    return rows.length === 0 ? 0 : this.options.store.insertIdentities(rows);
  }

  async listNodes(): Promise<string[]> {
    return this.options.store.listNodes();
  }

  /**
   * All-or-nothing validation (what the Rust registry checks: an http:// or https:// prefix once trimmed, at
   * most 256 bytes; we also refuse control characters), then the trimmed urls are merged in order up to
   * `max_nodes` and, for an anonymous `client` (its address), up to its share of the list.
   */
  async addNodes(nodes: Array<{ base_url: string }>, client: string | undefined): Promise<number> {
    const urls = nodes.map((n, i) => {
      const url = n.base_url.trim();
      const field = `nodes[${i}].base_url`;
      if (!/^https?:\/\//.test(url)) throw invalidInput(`${field} must start with http:// or https://`, { field });
      if (Buffer.byteLength(url, 'utf8') > 256) throw invalidInput(`${field} exceeds 256 bytes`, { field });
      if (CONTROL.test(url)) throw invalidInput(`${field} contains control characters`, { field });
      return url;
    });
    if (client === undefined) return this.options.store.addNodes(urls, this.options.maxNodes);
    // The store keeps a keyed hash of the client, never its address.
    const contributor = createHmac('sha256', this.options.pepper)
      .update('enigma:registry:node-contributor:v1\0')
      .update(clientOf(client))
      .digest()
      .subarray(0, 16);
    return this.options.store.addNodes(urls, this.options.maxNodes, {
      contributor: new Uint8Array(contributor),
      max: this.options.nodesPerClient,
    });
  }

  /** Drops presences not announced within `ttlSeconds`; also enforces the entry bound. */
  async gcPresence(ttlSeconds: number, now = this.clock.now()): Promise<number> {
    return this.options.store.purgePresence(now - ttlSeconds * 1000, this.options.presenceMaxEntries);
  }

  private decodeIdentity(plaintext: Uint8Array): PublicIdentity {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(plaintext));
    } catch {
      throw invalidInput('envelope plaintext is not identity JSON');
    }
    const problem = identityProblem(value);
    if (problem) throw invalidInput(`invalid identity: ${problem}`);
    return value as PublicIdentity;
  }

  private sealIdentity(index: Uint8Array, identity: PublicIdentity): Uint8Array {
    return this.vault.seal('identity', index, utf8ToBytes(JSON.stringify(canonicalIdentity(identity))));
  }
}
