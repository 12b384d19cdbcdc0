import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { TauBinder, type Binding } from '../../src/proof/binding.js';

const binding: Binding = {
  nonce_uuid: '0b8e3c52-5b0f-4a53-9a43-0f4c2d9b7c11',
  ledger_tau: 'aa'.repeat(16),
  ledger: 'embedded',
  handle: 'alice',
  build_id: 'b1',
  sha256: 'cd'.repeat(32),
};

describe('tau binding', () => {
  const binder = new TauBinder(randomBytes(32));

  test('round-trips, and the seed depends on nonce, tau and sha256', () => {
    const tau = binder.seal(binding);
    assert.deepEqual(binder.open(tau), binding);
    const seed = binder.seed(binding.nonce_uuid, tau, binding.sha256);
    assert.match(seed, /^[0-9a-f]{64}$/);
    assert.equal(binder.seed(binding.nonce_uuid, tau, binding.sha256), seed);
    assert.notEqual(binder.seed(binding.nonce_uuid, tau, 'ef'.repeat(32)), seed);
    assert.notEqual(
      binder.seed(binding.nonce_uuid, binder.seal({ ...binding, ledger_tau: 'bb'.repeat(16) }), binding.sha256),
      seed,
    );
  });

  test('a binding re-pointed at another ledger or build, with the old MAC, is refused', () => {
    const [prefix, , mac] = binder.seal(binding).split('.');
    for (const forged of [
      { ...binding, ledger: 'http://attacker.example' },
      { ...binding, build_id: 'b0' },
      { ...binding, nonce_uuid: '1b8e3c52-5b0f-4a53-9a43-0f4c2d9b7c11' },
    ]) {
      const json = JSON.stringify([
        forged.nonce_uuid,
        forged.ledger_tau,
        forged.ledger,
        forged.handle,
        forged.build_id,
        forged.sha256,
      ]);
      assert.equal(binder.open(`${prefix}.${Buffer.from(json).toString('base64url')}.${mac}`), undefined);
    }
  });

  test('another registry secret, other spellings and garbage are refused', () => {
    const tau = binder.seal(binding);
    assert.equal(new TauBinder(randomBytes(32)).open(tau), undefined);
    assert.equal(binder.open(`${tau}=`), undefined);
    assert.equal(binder.open(tau.replace(/^v1\./, 'v2.')), undefined);
    for (const junk of ['', 'v1.', 'v1..', 'v1.a.b.c', 'x'.repeat(5000)]) assert.equal(binder.open(junk), undefined);
  });
});
