import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import pino from 'pino';
import { ReceiptSigner } from '../../src/proof/receipts.js';
import { tempDir } from '../helpers/registry.js';

const log = pino({ level: 'silent' });
const claims = {
  handle: 'alice',
  build_id: 'b1',
  sha256: 'ab'.repeat(32),
  nonce_uuid: '0b8e3c52-5b0f-4a53-9a43-0f4c2d9b7c11',
};
const key = (kid: string, seedByte: string, active: boolean, not_after_epoch_ms?: number) => ({
  kid_hex: kid.repeat(8),
  ed25519_private_key_hex: seedByte.repeat(32),
  active,
  ...(not_after_epoch_ms !== undefined && { not_after_epoch_ms }),
});

/** A signer whose receipts last `ttl` seconds, with `keys`; without keys it generates one into `stateDir`. */
const signer = (stateDir: string, ttl: number, keys?: Array<ReturnType<typeof key>>) =>
  new ReceiptSigner(
    { state_dir: stateDir, proof: { receipt_ttl_seconds: ttl, ...(keys && { receipt_keys: keys }) } as never },
    log,
  );

/** Runs `body` with a fresh state dir, removed afterwards. */
async function inStateDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  try {
    await body(dir.path);
  } finally {
    dir.remove();
  }
}

describe('receipt keys', () => {
  test('the first active unexpired key signs; every unexpired key is in the JWKS, so old receipts still verify', () =>
    inStateDir(async (dir) => {
      const old = signer(dir, 60, [key('01', '11', true)]);
      const oldReceipt = await old.sign('https://reg.example', claims);
      const rotated = signer(dir, 60, [
        key('00', '33', true, Date.now() - 1),
        key('02', '22', true),
        key('01', '11', false),
      ]);
      const jwks = rotated.jwks();
      assert.deepEqual(
        jwks.keys.map((k) => k.kid),
        ['02'.repeat(8), '01'.repeat(8)],
      );
      const receipt = await rotated.sign('https://reg.example', claims);
      assert.equal(decodeProtectedHeader(receipt).kid, '02'.repeat(8));
      const set = createLocalJWKSet(jwks);
      for (const r of [receipt, oldReceipt]) {
        const { payload } = await jwtVerify(r, set, { issuer: 'https://reg.example', subject: 'alice' });
        assert.equal(payload.circuit_sha256, claims.sha256);
        assert.equal(payload.exp! - payload.iat!, 60);
      }
      // Without the old key in the set, the old receipt does not verify.
      await assert.rejects(
        jwtVerify(oldReceipt, createLocalJWKSet({ keys: jwks.keys.filter((k) => k.kid !== '01'.repeat(8)) })),
      );
    }));

  test('without configured keys one is generated into state_dir and reused', () =>
    inStateDir(async (dir) => {
      const a = signer(dir, 60).jwks();
      const b = signer(dir, 60).jwks();
      assert.equal(a.keys.length, 1);
      assert.deepEqual(a, b);
    }));

  test('every receipt signed on the calling thread verifies with jose, carries its claims, and is what jose would sign', () =>
    inStateDir(async (dir) => {
      const signing = signer(dir, 90, [key('07', '5a', true)]);
      const set = createLocalJWKSet(signing.jwks());
      const joseKey = createPrivateKey({
        key: Buffer.from(`302e020100300506032b657004220420${'5a'.repeat(32)}`, 'hex'),
        format: 'der',
        type: 'pkcs8',
      });
      const text = fc.string({ unit: 'grapheme', maxLength: 40 });
      await fc.assert(
        fc.asyncProperty(
          text,
          text,
          fc.stringMatching(/^[0-9a-f]{64}$/),
          fc.uuid(),
          text,
          fc.integer({ min: 1e12, max: 4e12 }),
          async (handle, build_id, sha256, nonce_uuid, issuer, now) => {
            const c = { handle, build_id, sha256, nonce_uuid };
            const receipt = signing.sign(issuer, c, now);
            assert.equal(typeof receipt, 'string');
            const { payload, protectedHeader } = await jwtVerify(receipt, set, {
              issuer,
              subject: handle,
              currentDate: new Date(now),
            });
            assert.deepEqual(protectedHeader, { alg: 'EdDSA', kid: '07'.repeat(8), typ: 'JWT' });
            assert.deepEqual(payload, {
              circuit_sha256: sha256,
              build_id,
              nonce: nonce_uuid,
              iss: issuer,
              sub: handle,
              jti: nonce_uuid,
              iat: Math.floor(now / 1000),
              exp: Math.floor(now / 1000) + 90,
            });
            // Ed25519 is deterministic: jose's own SignJWT over the same header and claims gives the same bytes.
            const iat = Math.floor(now / 1000);
            const byJose = await new SignJWT({ circuit_sha256: sha256, build_id, nonce: nonce_uuid })
              .setProtectedHeader({ alg: 'EdDSA', kid: '07'.repeat(8), typ: 'JWT' })
              .setIssuer(issuer)
              .setSubject(handle)
              .setJti(nonce_uuid)
              .setIssuedAt(iat)
              .setExpirationTime(iat + 90)
              .sign(joseKey);
            assert.equal(receipt, byJose);
            // A receipt whose claims were rewritten (another circuit) does not verify.
            const [h, , sig] = receipt.split('.');
            const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: `${handle}x` })).toString('base64url')}.${sig}`;
            await assert.rejects(jwtVerify(forged, set));
          },
        ),
        { seed: 0x5eed, numRuns: 60 },
      );
    }));
});
