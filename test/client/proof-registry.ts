// A live registry with the real sixzone circuit published under some handles: shared by the SDK proof
// tests and the `prove` CLI tests. Minting and publishing go through test/proof/mint.ts.
import assert from 'node:assert/strict';
import type { SixzoneSecret } from '../../src/client/sixzone.js';
import type { SealRecipient } from '../../src/crypto/seal.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { mintSixzone, newPublisher, publish, sha256Hex } from '../proof/mint.js';

const TOKEN = 'admin-token-for-client-tests';

export async function startProofRegistry(o: {
  handles: string[];
  secret: SixzoneSecret;
  rounds: number;
  lockoutAfter?: number;
}) {
  const publisher = newPublisher();
  const reg = await startTestRegistry({
    circuits: { publisher_public_keys_hex: [publisher.publicHex] },
    admin: { token_sha256_hex: [sha256Hex(TOKEN)] },
    proof: {
      lockout_after: o.lockoutAfter ?? 50,
      lockout_seconds: 60,
      guesses_per_hour: 90,
      pow_free_failures: 3,
      challenge_rps: 1000,
      validate_rps: 1000,
      cli_rps: 1000,
      handle_rps: 1000,
      burst: 1000,
    },
  });
  try {
    const recipient = (await call<SealRecipient>(reg.url, 'GET', '/api/circuits/sealing-key')).body;
    for (const handle of o.handles) {
      const r = await publish(
        reg.url,
        TOKEN,
        mintSixzone({ handle, secret: o.secret, recipient, publisher, rounds: o.rounds }),
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  } catch (e) {
    await reg.close();
    throw e;
  }
  return reg;
}
