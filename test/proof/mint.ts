// Mints the real sixzone circuit for a test person, as `circuit mint` does, and publishes it over HTTP.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { signManifest, type Manifest, type ManifestFields } from '../../src/circuits/manifest.js';
import type { Clock } from '../../src/config/clock.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { mintSixzone as mint } from '../../src/circuits/mint.js';
import { SIXZONE_BEARINGS, solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import { bytesToHex, toBase64 } from '../../src/crypto/encoding.js';
import type { SealRecipient } from '../../src/crypto/seal.js';
import { sixzoneBytes } from '../circuits/sixzone-artifact.js';
import { call, startTestRegistry } from '../helpers/registry.js';

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

/** Any module as a circuit build, its manifest signed with `seed`; wasm with the usual commands unless `o` says otherwise. */
export function signedCircuit(bytes: Uint8Array, seed: Uint8Array, o: Partial<ManifestFields> = {}): Minted {
  const fields: ManifestFields = {
    handle: 'plain',
    version: '1.0.0',
    build_id: randomUUID(),
    kind: 'wasm',
    sha256: sha256Hex(bytes),
    size: bytes.length,
    commands: ['info', 'challenge', 'validate-response'],
    created_at: new Date().toISOString(),
    ...o,
  };
  return { manifest: signManifest(fields, seed), bytes };
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

/**
 * `[proof]` limits that stay out of a flow test's way: rates far above what a test sends, no proof of work
 * for the first 3 failures, a lockout after `lockoutAfter` failures.
 */
export const roomyProofLimits = (lockoutAfter: number) => ({
  lockout_after: lockoutAfter,
  lockout_seconds: 60,
  guesses_per_hour: 90,
  pow_free_failures: 3,
  challenge_rps: 1000,
  validate_rps: 1000,
  cli_rps: 1000,
  handle_rps: 1000,
  burst: 1000,
});

export type TestRegistry = Awaited<ReturnType<typeof startTestRegistry>>;

export interface PublishingRegistry {
  reg: TestRegistry;
  publisher: Publisher;
  /** The sealing key the registry serves: minted secrets are sealed to it. */
  recipient: SealRecipient;
  /** What was minted and published, by handle. */
  minted: Record<string, Minted>;
  /** Mints `handle`'s sixzone circuit and publishes it; anything but 201 fails the test. */
  publishCircuit(handle: string, secret: SixzoneSecret, rounds?: number): Promise<Minted>;
}

/**
 * A test registry that accepts circuits signed by `publisher` (a new one unless given) and published with the
 * admin `token`, with `config` on top, and the circuit of every handle in `circuits` published.
 */
export async function startPublishingRegistry(o: {
  token: string;
  publisher?: Publisher;
  config?: ConfigInput & Record<string, unknown>;
  clock?: Clock;
  circuits?: Record<string, SixzoneSecret>;
  rounds?: number;
}): Promise<PublishingRegistry> {
  const publisher = o.publisher ?? newPublisher();
  const config = o.config ?? {};
  const reg = await startTestRegistry(
    {
      ...config,
      circuits: { ...config.circuits, publisher_public_keys_hex: [publisher.publicHex] },
      admin: { token_sha256_hex: [sha256Hex(o.token)] },
    },
    o.clock ? { clock: o.clock } : {},
  );
  try {
    const recipient = (await call<SealRecipient>(reg.url, 'GET', '/api/circuits/sealing-key')).body;
    const minted: Record<string, Minted> = {};
    const publishCircuit = async (handle: string, secret: SixzoneSecret, rounds = o.rounds) => {
      const m = mintSixzone({ handle, secret, recipient, publisher, rounds });
      const r = await publish(reg.url, o.token, m);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      minted[handle] = m;
      return m;
    };
    for (const [handle, secret] of Object.entries(o.circuits ?? {})) await publishCircuit(handle, secret);
    return { reg, publisher, recipient, minted, publishCircuit };
  } catch (e) {
    await reg.close();
    throw e;
  }
}
