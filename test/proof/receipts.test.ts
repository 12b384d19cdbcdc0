import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import pino from 'pino';
import { ReceiptSigner } from '../../src/proof/receipts.js';
import { tempDir } from '../helpers/registry.js';

const log = pino({ level: 'silent' });
const claims = { handle: 'alice', build_id: 'b1', sha256: 'ab'.repeat(32), nonce_uuid: '0b8e3c52-5b0f-4a53-9a43-0f4c2d9b7c11' };
const key = (kid: string, seedByte: string, active: boolean, not_after_epoch_ms?: number) => ({
  kid_hex: kid.repeat(8),
  ed25519_private_key_hex: seedByte.repeat(32),
  active,
  ...(not_after_epoch_ms !== undefined && { not_after_epoch_ms }),
});

describe('receipt keys', () => {
  test('the first active unexpired key signs; every unexpired key is in the JWKS, so old receipts still verify', async () => {
    const dir = tempDir();
    try {
      const old = new ReceiptSigner({ state_dir: dir.path, proof: { receipt_ttl_seconds: 60, receipt_keys: [key('01', '11', true)] } as never }, log);
      const oldReceipt = await old.sign('https://reg.example', claims);
      const rotated = new ReceiptSigner(
        { state_dir: dir.path, proof: { receipt_ttl_seconds: 60, receipt_keys: [key('00', '33', true, Date.now() - 1), key('02', '22', true), key('01', '11', false)] } as never },
        log,
      );
      const jwks = rotated.jwks();
      assert.deepEqual(jwks.keys.map((k) => k.kid), ['02'.repeat(8), '01'.repeat(8)]);
      const receipt = await rotated.sign('https://reg.example', claims);
      assert.equal(decodeProtectedHeader(receipt).kid, '02'.repeat(8));
      const set = createLocalJWKSet(jwks);
      for (const r of [receipt, oldReceipt]) {
        const { payload } = await jwtVerify(r, set, { issuer: 'https://reg.example', subject: 'alice' });
        assert.equal(payload.circuit_sha256, claims.sha256);
        assert.equal(payload.exp! - payload.iat!, 60);
      }
      // Without the old key in the set, the old receipt does not verify.
      await assert.rejects(jwtVerify(oldReceipt, createLocalJWKSet({ keys: jwks.keys.filter((k) => k.kid !== '01'.repeat(8)) })));
    } finally {
      dir.remove();
    }
  });

  test('without configured keys one is generated into state_dir and reused', async () => {
    const dir = tempDir();
    try {
      const cfg = { state_dir: dir.path, proof: { receipt_ttl_seconds: 60 } as never };
      const a = new ReceiptSigner(cfg, log).jwks();
      const b = new ReceiptSigner(cfg, log).jwks();
      assert.equal(a.keys.length, 1);
      assert.deepEqual(a, b);
    } finally {
      dir.remove();
    }
  });
});
