import { bytesToHex, hexToBytes, parseHex, utf8ToBytes } from '../crypto/encoding.js';
import { conflict, invalidInput, ApiError } from '../errors.js';
import type { DirectoryStore } from '../storage/directory.js';
import { openEnvelope, parseEnvelope, sealEnvelope, type EnvelopeWire } from './envelope.js';
import { canonicalIdentity, identityProblem, type PublicIdentity } from './identity.js';
import { EnvelopeKeyring } from './keyring.js';
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
  presenceMaxEntries: number;
}

/** Node-directory behaviour, independent of HTTP. */
export class DirectoryService {
  private readonly vault: Vault;
  constructor(private readonly o: DirectoryOptions) {
    this.vault = new Vault(o.pepper);
  }

  get keyring(): EnvelopeKeyring {
    return this.o.keyring;
  }

  async register(handleHex: string, envelope: EnvelopeWire): Promise<void> {
    const handle = parseHandle(handleHex);
    const parsed = parseEnvelope(envelope);
    if ('bad' in parsed) {
      const field = `envelope.${parsed.bad}`;
      throw invalidInput(parsed.bad === 'kid' ? 'unknown or expired envelope key' : `${field} is malformed`, { field });
    }
    const key = this.o.keyring.find(envelope.kid);
    if (!key) throw invalidInput('unknown or expired envelope key', { kid: envelope.kid.toLowerCase() });
    const plaintext = openEnvelope(this.o.pepper, handle, key.priv, parsed);
    if (!plaintext) throw invalidInput('envelope decryption failed', { reason: 'authentication tag mismatch' });
    const identity = this.decodeIdentity(plaintext);
    if (identity.user_id.toLowerCase() !== bytesToHex(handle))
      throw invalidInput('handle does not match identity user_id');
    const index = this.vault.blindIndex(handle);
    const inserted = await this.o.store.insertIdentity(index, this.sealIdentity(index, identity));
    if (!inserted) throw conflict('handle already registered');
  }

  async resolve(handleHex: string, requesterPubHex: string): Promise<EnvelopeWire | null> {
    const handle = parseHandle(handleHex);
    const requester = parseHex(requesterPubHex, 32);
    if (!requester) throw invalidInput('requester_ephemeral_pubkey_hex must be 32 bytes hex', { field: 'requester_ephemeral_pubkey_hex' });
    const index = this.vault.blindIndex(handle);
    const sealed = await this.o.store.getIdentity(index);
    if (!sealed) return null;
    const key = this.o.keyring.active();
    if (!key) throw new ApiError('INTERNAL', 'no active envelope key', { hint: 'every configured envelope key has expired' });
    const plaintext = this.vault.open('identity', index, sealed);
    return sealEnvelope({ pepper: this.o.pepper, handle, kid: key.kid, sender: key.priv, recipientPublic: requester, plaintext });
  }

  async exists(handleHex: string): Promise<boolean> {
    return this.o.store.hasIdentity(this.vault.blindIndex(parseHandle(handleHex)));
  }

  async announce(p: { user_id: string; addr: string; ts_ms: number }, now = Date.now()): Promise<void> {
    const handle = parseHandle(p.user_id, 'user_id');
    if (p.addr.trim().length === 0) throw invalidInput('addr must not be blank', { field: 'addr' });
    if (Buffer.byteLength(p.addr, 'utf8') > 256) throw invalidInput('addr exceeds 256 bytes', { field: 'addr' });
    if (p.ts_ms === 0) throw invalidInput('ts_ms must not be zero', { field: 'ts_ms' });
    const index = this.vault.blindIndex(handle);
    const body = utf8ToBytes(JSON.stringify({ user_id: bytesToHex(handle), addr: p.addr, ts_ms: p.ts_ms }));
    await this.o.store.upsertPresence(index, this.vault.seal('presence', index, body), now);
  }

  /** Merges identities that are valid and new; never overwrites, skips the rest. */
  async sync(identities: unknown[]): Promise<number> {
    const rows: Array<{ index: Uint8Array; sealed: Uint8Array }> = [];
    const seen = new Set<string>();
    for (const candidate of identities) {
      if (identityProblem(candidate) !== undefined) continue;
      const identity = candidate as PublicIdentity;
      const handle = hexToBytes(identity.user_id.toLowerCase());
      const index = this.vault.blindIndex(handle);
      const key = bytesToHex(index);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ index, sealed: this.sealIdentity(index, identity) });
    }
    return rows.length === 0 ? 0 : this.o.store.insertIdentities(rows);
  }

  async listNodes(): Promise<string[]> {
    return this.o.store.listNodes();
  }

  /** All-or-nothing validation, then trimmed urls are merged in order up to `max_nodes`. */
  async addNodes(nodes: Array<{ base_url: string }>): Promise<number> {
    const urls: string[] = [];
    nodes.forEach((n, i) => {
      const url = n.base_url.trim();
      const field = `nodes[${i}].base_url`;
      if (!/^https?:\/\/\S+$/.test(url)) throw invalidInput(`${field} must be an http:// or https:// URL`, { field });
      if (Buffer.byteLength(url, 'utf8') > 256) throw invalidInput(`${field} exceeds 256 bytes`, { field });
      urls.push(url);
    });
    return this.o.store.addNodes(urls, this.o.maxNodes);
  }

  /** Drops presences not announced within `ttlSeconds`; also enforces the entry bound. */
  async gcPresence(ttlSeconds: number, now = Date.now()): Promise<number> {
    return this.o.store.purgePresence(now - ttlSeconds * 1000, this.o.presenceMaxEntries);
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
