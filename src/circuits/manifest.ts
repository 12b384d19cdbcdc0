// The signed circuit manifest: its schema, handle pattern, canonical bytes, and Ed25519 signing and verification.
import { ed25519 } from '@noble/curves/ed25519.js';
import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import { bytesToHex, parseHex, utf8ToBytes } from '../crypto/encoding.js';

/** Circuit handles: lower-case, 1–63 characters, starting with a letter or digit. */
export const HANDLE_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
export const HANDLE_RE = new RegExp(HANDLE_PATTERN);

const hex = (bytes: number) => Type.String({ pattern: `^[0-9a-f]{${bytes * 2}}$` });

export const ManifestSchema = Type.Object(
  {
    handle: Type.String({ pattern: HANDLE_PATTERN }),
    version: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z][0-9A-Za-z.+_-]*$' }),
    build_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z][0-9A-Za-z._-]*$' }),
    kind: Type.Union([Type.Literal('wasm'), Type.Literal('elf')]),
    /** SHA-256 (lower-case hex) of the artifact bytes: the circuit's identity. */
    sha256: hex(32),
    size: Type.Integer({ minimum: 0 }),
    commands: Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9/_-]*$' }), {
      minItems: 1,
      maxItems: 64,
    }),
    /** RFC 3339 UTC timestamp. */
    created_at: Type.String({ format: 'date-time' }),
    publisher_public_key_hex: hex(32),
    /** Ed25519 over MANIFEST_SIGNING_CONTEXT ‖ canonical bytes. */
    signature_hex: hex(64),
  },
  { additionalProperties: false, $id: 'CircuitManifest' },
);
export type Manifest = Static<typeof ManifestSchema>;
/** What the publisher chooses; the key and signature are added by signManifest. */
export type ManifestFields = Omit<Manifest, 'publisher_public_key_hex' | 'signature_hex'>;

/** Domain separation: a manifest signature can never be mistaken for a signature over anything else. */
export const MANIFEST_SIGNING_CONTEXT = 'eni6ma.circuit-manifest.v1\n';

/**
 * Deterministic JSON of every field but the signature: keys sorted, no whitespace. Exactly these bytes
 * (after the context string) are signed, so any change to a signed field breaks the signature.
 */
export function canonicalManifestBytes(m: Omit<Manifest, 'signature_hex'> & { signature_hex?: string }): Uint8Array {
  const fields: Omit<Manifest, 'signature_hex'> = {
    build_id: m.build_id,
    commands: m.commands,
    created_at: m.created_at,
    handle: m.handle,
    kind: m.kind,
    publisher_public_key_hex: m.publisher_public_key_hex,
    sha256: m.sha256,
    size: m.size,
    version: m.version,
  };
  return utf8ToBytes(JSON.stringify(fields));
}

function signingMessage(m: Omit<Manifest, 'signature_hex'>): Uint8Array {
  const body = canonicalManifestBytes(m);
  const ctx = utf8ToBytes(MANIFEST_SIGNING_CONTEXT);
  const out = new Uint8Array(ctx.length + body.length);
  out.set(ctx, 0);
  out.set(body, ctx.length);
  return out;
}

/** Signs a manifest with the publisher's 32-byte Ed25519 seed. Throws when a field is out of schema. */
export function signManifest(fields: ManifestFields, ed25519Seed: Uint8Array): Manifest {
  if (ed25519Seed.length !== 32) throw new Error('publisher key must be a 32-byte Ed25519 seed');
  const unsigned = { ...fields, publisher_public_key_hex: bytesToHex(ed25519.getPublicKey(ed25519Seed)) };
  const manifest: Manifest = {
    ...unsigned,
    signature_hex: bytesToHex(ed25519.sign(signingMessage(unsigned), ed25519Seed)),
  };
  if (!Value.Check(ManifestSchema, manifest)) {
    const first = [...Value.Errors(ManifestSchema, manifest)][0];
    throw new Error(`manifest field out of schema: ${first ? `${first.instancePath} ${first.message}` : 'unknown'}`);
  }
  return manifest;
}

/** True when the manifest is well formed, its key is one of `allowedPublisherKeys` (hex) and the signature holds. */
export function verifyManifest(manifest: Manifest, allowedPublisherKeys: readonly string[]): boolean {
  if (!Value.Check(ManifestSchema, manifest)) return false;
  const key = manifest.publisher_public_key_hex;
  if (!allowedPublisherKeys.some((k) => k.toLowerCase() === key)) return false;
  const pub = parseHex(key, 32);
  const sig = parseHex(manifest.signature_hex, 64);
  if (!pub || !sig) return false;
  try {
    return ed25519.verify(sig, signingMessage(manifest), pub);
  } catch {
    return false;
  }
}
