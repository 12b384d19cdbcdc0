// The local demo: the reference sixzone circuit published as `demo` with its public secret, and its publisher key.
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { loadOrCreateSecret } from '../config/state.js';
import { DEMO_HANDLE, DEMO_SECRET } from '../client/demo.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../crypto/encoding.js';
import { decodeSealedSecret, unsealSecret } from '../crypto/seal.js';
import { readSealedSecret } from '../executor/sealed-secret.js';
import type { BuildRecord } from '../storage/circuits.js';
import { manifestOf, type CircuitCatalog } from './catalog.js';
import { mintSixzone, SIXZONE_WASM } from './mint.js';
import type { SealingKeys } from './sealing-keys.js';

// The local demo (`[demo] enabled`, on when no config file is given): the reference sixzone circuit under
// the handle `demo`, with a secret that is public on purpose so that a first visitor can complete a proof.

export interface DemoPublisher {
  seed: Uint8Array;
  publicHex: string;
}

/** The demo's own publisher key, generated into state_dir once (publish trusts it only while the demo is on). */
export function demoPublisher(config: Config): DemoPublisher {
  const { value } = loadOrCreateSecret(config.state_dir, 'demo-publisher', () => ({
    ed25519_private_key_hex: randomBytes(32).toString('hex'),
  }));
  const seed = hexToBytes(value.ed25519_private_key_hex);
  return { seed, publicHex: bytesToHex(ed25519.getPublicKey(seed)) };
}

/** Whether `b` is a demo build this registry can still verify: demo-signed, unrevoked, sealing DEMO_SECRET to a current key. */
async function usableDemoBuild(b: BuildRecord, catalog: CircuitCatalog, sealingKeys: SealingKeys): Promise<boolean> {
  if (b.revoked) return false;
  try {
    const sealed = readSealedSecret((await catalog.artifact(b)).bytes);
    if (!sealed) return false;
    const plain = unsealSecret(decodeSealedSecret(sealed), sealingKeys.keys, {
      handle: b.handle,
      build_id: b.build_id,
    });
    return bytesToHex(plain) === bytesToHex(utf8ToBytes(JSON.stringify(DEMO_SECRET)));
  } catch {
    return false; // rotated sealing keys, a corrupt artifact: mint a fresh build
  }
}

/**
 * Publishes the demo circuit unless a usable one is current already (restarts reuse it). A `demo` handle
 * published by someone else is left alone. Returns the current demo build, or undefined when there is none.
 */
export async function seedDemoCircuit(o: {
  catalog: CircuitCatalog;
  sealingKeys: SealingKeys;
  publisher: DemoPublisher;
  log: Logger;
}): Promise<BuildRecord | undefined> {
  const current = await o.catalog.build(DEMO_HANDLE).catch(() => undefined);
  if (current && manifestOf(current).publisher_public_key_hex !== o.publisher.publicHex) {
    o.log.warn(
      { handle: DEMO_HANDLE },
      'demo enabled, but a circuit "demo" from another publisher exists: leaving it as it is',
    );
    return undefined;
  }
  if (current && (await usableDemoBuild(current, o.catalog, o.sealingKeys))) return current;
  const recipient = o.sealingKeys.active();
  if (!recipient || !existsSync(SIXZONE_WASM)) {
    o.log.warn(
      { wasm: SIXZONE_WASM },
      'demo enabled, but there is no active sealing key or the sixzone circuit is not built (npm run build): no demo circuit',
    );
    return undefined;
  }
  const { manifest, artifact } = mintSixzone({
    handle: DEMO_HANDLE,
    secret: DEMO_SECRET,
    recipient,
    publisherSeed: o.publisher.seed,
    wasm: new Uint8Array(readFileSync(SIXZONE_WASM)),
    version: 'demo',
  });
  return o.catalog.publish(manifest, artifact);
}
