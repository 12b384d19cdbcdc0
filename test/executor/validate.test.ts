import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { solveSixzone, type SixzoneChallenge, type SixzoneSecret } from '../../src/client/sixzone.js';
import { bytesToHex, utf8ToBytes } from '../../src/crypto/encoding.js';
import { encodeSealedSecret, sealSecret } from '../../src/crypto/seal.js';
import { x25519Generate } from '../../src/crypto/x25519.js';
import { ApiError } from '../../src/errors.js';
import { embedSealedSecret } from '../../src/executor/sealed-secret.js';
import type { Artifact } from '../../src/executor/types.js';
import { SealedSecretRefused, validateResponse, type CircuitRunner } from '../../src/executor/validate.js';
import { sixzoneBytes, wasmArtifact } from '../circuits/sixzone-artifact.js';
import { directRunner } from '../circuits/wasi-direct.js';

const KID = 'a1a2a3a4a5a6a7a8';
const SECRET: SixzoneSecret = {
  symbols: 'Q4Z9X',
  mapping: { red: 'NE', orange: 'N', yellow: 'S', green: 'SE', blue: 'NW', violet: 'SW' },
};
const BINDING = { handle: 'alice', build_id: '7d1e0c1e-0000-4000-8000-000000000001' };
const SEED = '5e'.repeat(32);

const pair = x25519Generate();
const sealingKeys = [{ kid_hex: KID, x25519_private_key_hex: bytesToHex(pair.privateKey) }];
let base: Uint8Array;
let artifact: Artifact;
let answer: string[];

function mint(secret: SixzoneSecret, binding = BINDING): Artifact {
  const sealed = sealSecret(
    utf8ToBytes(JSON.stringify(secret)),
    { kid_hex: KID, x25519_public_key_hex: bytesToHex(pair.publicKey) },
    binding,
  );
  return wasmArtifact(embedSealedSecret(base, encodeSealedSecret(sealed)));
}

const request = (bearings: unknown, binding = BINDING) => ({
  ...binding,
  nonce_uuid: 'n-7',
  tau: 'tau-7',
  seed: SEED,
  payload: { tau: 'tau-7', bearings },
});

before(async () => {
  base = sixzoneBytes();
  artifact = mint(SECRET);
  const r = await directRunner.run(
    artifact,
    'challenge',
    [],
    utf8ToBytes(JSON.stringify({ nonce_uuid: 'n-7', tau: 'tau-7', seed: SEED })),
  );
  answer = solveSixzone(JSON.parse(r.stdout) as SixzoneChallenge, SECRET);
});

describe('validateResponse', () => {
  it('accepts the right bearings and refuses wrong ones', async () => {
    assert.deepEqual(await validateResponse(directRunner, artifact, request(answer), sealingKeys), { valid: true });
    const wrong = [...answer];
    wrong[3] = wrong[3] === 'N' ? 'S' : 'N';
    assert.deepEqual(await validateResponse(directRunner, artifact, request(wrong), sealingKeys), { valid: false });
  });

  it('refuses a secret sealed for another handle or build (a copied artifact)', async () => {
    for (const binding of [
      { ...BINDING, handle: 'mallory' },
      { ...BINDING, build_id: 'other-build' },
    ]) {
      await assert.rejects(
        validateResponse(directRunner, artifact, request(answer, binding), sealingKeys),
        (e: unknown) => {
          return (
            e instanceof SealedSecretRefused && e.status === 403 && /another circuit handle or build/.test(e.message)
          );
        },
      );
    }
  });

  it('refuses the wrong sealing key and an unknown kid', async () => {
    const other = x25519Generate();
    await assert.rejects(
      validateResponse(directRunner, artifact, request(answer), [
        { kid_hex: KID, x25519_private_key_hex: bytesToHex(other.privateKey) },
      ]),
      SealedSecretRefused,
    );
    await assert.rejects(
      validateResponse(directRunner, artifact, request(answer), [{ ...sealingKeys[0]!, kid_hex: '0000000000000000' }]),
      /does not have/,
    );
  });

  it('refuses a tampered artifact and one without a sealed secret', async () => {
    const bytes = artifact.bytes.slice();
    // The last bytes are the sealed JSON's ciphertext hex: change one digit.
    const at = bytes.length - 4;
    bytes[at] = bytes[at] === 0x30 ? 0x31 : 0x30;
    await assert.rejects(
      validateResponse(directRunner, wasmArtifact(bytes), request(answer), sealingKeys),
      SealedSecretRefused,
    );
    await assert.rejects(
      validateResponse(directRunner, wasmArtifact(base), request(answer), sealingKeys),
      /carries no sealed secret/,
    );
  });

  it('reports a malformed response as invalid input and a failing circuit as internal', async () => {
    await assert.rejects(validateResponse(directRunner, artifact, request(['UP']), sealingKeys), (e: unknown) => {
      return e instanceof ApiError && e.code === 'INVALID_INPUT';
    });
    const hung: CircuitRunner = {
      run: async () => ({
        exit_code: null,
        stdout: '',
        stderr: '',
        duration_ms: 2000,
        timed_out: true,
        truncated: false,
      }),
    };
    await assert.rejects(validateResponse(hung, artifact, request(answer), sealingKeys), (e: unknown) => {
      return e instanceof ApiError && e.code === 'INTERNAL' && /timed out/.test(e.message);
    });
  });

  it('hands the circuit the secret on stdin only, and wipes its copy afterwards', async () => {
    let seen: Uint8Array | undefined;
    let text = '';
    const spy: CircuitRunner = {
      run: async (a, command, args, stdin) => {
        seen = stdin;
        text = new TextDecoder().decode(stdin);
        assert.deepEqual(args, []);
        return directRunner.run(a, command, args, stdin);
      },
    };
    assert.deepEqual(await validateResponse(spy, artifact, request(answer), sealingKeys), { valid: true });
    assert.deepEqual(JSON.parse(text).secret, SECRET);
    assert.ok(seen!.every((b) => b === 0));
  });
});
