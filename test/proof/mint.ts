// Mints the real sixzone circuit for a test person, as `circuit mint` does, and publishes it over HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Manifest } from '../../src/circuits/manifest.js';
import { mintSixzone as mint } from '../../src/circuits/mint.js';
import { SIXZONE_BEARINGS, solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import { bytesToHex, toBase64 } from '../../src/crypto/encoding.js';
import type { SealRecipient } from '../../src/crypto/seal.js';
import { sixzoneBytes } from '../circuits/sixzone-artifact.js';
import { call } from '../helpers/registry.js';

export interface Publisher {
  seed: Uint8Array;
  publicHex: string;
}

export function newPublisher(): Publisher {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, publicHex: bytesToHex(ed25519.getPublicKey(seed)) };
}

export interface Minted {
  manifest: Manifest;
  bytes: Uint8Array;
}

export function mintSixzone(o: {
  handle: string;
  secret: SixzoneSecret;
  recipient: SealRecipient;
  publisher: Publisher;
  rounds?: number;
  commands?: string[];
}): Minted {
  const { manifest, artifact } = mint({ ...o, publisherSeed: o.publisher.seed, wasm: sixzoneBytes() });
  return { manifest, bytes: artifact };
}

export const adminHeaders = (token: string) => ({ authorization: `Bearer ${token}` });

export async function publish(base: string, token: string, m: Minted) {
  return call(
    base,
    'POST',
    '/api/admin/circuits',
    { manifest: m.manifest, artifact_base64: toBase64(m.bytes) },
    adminHeaders(token),
  );
}

export const sha256Hex = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

/** A validate body for `bearings`, with the proof_hash the registry checks. */
export function answerBody(ch: { nonce_uuid: string; tau: string }, bearings: string[]) {
  return {
    kind: 'bearings',
    nonce_uuid: ch.nonce_uuid,
    payload: { tau: ch.tau, bearings, proof_hash: sha256Hex(`${ch.nonce_uuid}|${ch.tau}|${bearings.join(',')}`) },
  };
}

/** The right bearings for `secret` with round 0 changed: a wrong proof. */
export function wrongBearings(challenge: SixzoneChallenge, secret: SixzoneSecret): string[] {
  const right = solveSixzone(challenge, secret);
  return [SIXZONE_BEARINGS.find((b) => b !== right[0])!, ...right.slice(1)];
}
