// Minting a personalised sixzone build: round count set, verifier secret sealed and embedded, manifest signed.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SixzoneSecret } from '../client/sixzone.js';
import { utf8ToBytes } from '../crypto/encoding.js';
import { encodeSealedSecret, sealSecret, type SealRecipient } from '../crypto/seal.js';
import { embedSealedSecret } from '../executor/sealed-secret.js';
import { packageRoot } from '../paths.js';
import { signManifest, type Manifest } from './manifest.js';

// Personalising the reference sixzone circuit for one person: the secret is sealed to the registry's
// circuit sealing key and embedded as a custom section; the manifest is signed by the publisher. Used by
// `circuit mint` and by the registry's own demo circuit (circuits/demo.ts).

export const SIXZONE_COMMANDS = ['info', 'challenge', 'validate-response'];
export const SIXZONE_WASM = join(packageRoot, 'build', 'circuits', 'sixzone.wasm');
export const MIN_ROUNDS = 1;
export const MAX_ROUNDS = 64;
/** Marker in the sixzone module's data; the byte after it is the round count (see circuits/sixzone/README.md). */
const PARAMS_MARKER = utf8ToBytes('eni6ma.sixzone.p');

/** A copy of the sixzone module that deals `rounds` rounds per challenge. */
export function setSixzoneRounds(wasm: Uint8Array, rounds: number): Uint8Array {
  if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) {
    throw new Error(`rounds must be an integer from ${MIN_ROUNDS} to ${MAX_ROUNDS}`);
  }
  const hits: number[] = [];
  for (let i = 0; i + PARAMS_MARKER.length < wasm.length; i++) {
    if (PARAMS_MARKER.every((b, j) => wasm[i + j] === b)) hits.push(i);
  }
  if (hits.length !== 1) throw new Error(`not a sixzone module: expected one parameter marker, found ${hits.length}`);
  const out = wasm.slice();
  out[hits[0]! + PARAMS_MARKER.length] = rounds;
  return out;
}

export interface MintOptions {
  handle: string;
  secret: SixzoneSecret;
  recipient: SealRecipient;
  /** Ed25519 seed of the publisher key that signs the manifest. */
  publisherSeed: Uint8Array;
  /** The unpersonalised sixzone module (build/circuits/sixzone.wasm). */
  wasm: Uint8Array;
  rounds?: number;
  version?: string;
  commands?: string[];
}

export interface MintedCircuit {
  manifest: Manifest;
  artifact: Uint8Array;
}

/** A personalised sixzone build: what `POST /api/admin/circuits` publishes. */
export function mintSixzone(o: MintOptions): MintedCircuit {
  const build_id = randomUUID();
  const plain = utf8ToBytes(JSON.stringify(o.secret));
  const sealed = sealSecret(plain, o.recipient, { handle: o.handle, build_id });
  plain.fill(0);
  const artifact = embedSealedSecret(setSixzoneRounds(o.wasm, o.rounds ?? 12), encodeSealedSecret(sealed));
  const manifest = signManifest(
    {
      handle: o.handle,
      version: o.version ?? '1.0.0',
      build_id,
      kind: 'wasm',
      sha256: createHash('sha256').update(artifact).digest('hex'),
      size: artifact.length,
      commands: o.commands ?? SIXZONE_COMMANDS,
      created_at: new Date().toISOString(),
    },
    o.publisherSeed,
  );
  return { manifest, artifact };
}
