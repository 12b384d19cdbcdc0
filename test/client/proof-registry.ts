// A live registry with the real sixzone circuit published under some handles: shared by the SDK proof
// tests and the `prove` CLI tests. Minting and publishing go through test/proof/mint.ts.
import type { SixzoneSecret } from '../../src/client/sixzone.js';
import { roomyProofLimits, startPublishingRegistry } from '../proof/mint.js';

const TOKEN = 'admin-token-for-client-tests';

export async function startProofRegistry(o: {
  handles: string[];
  secret: SixzoneSecret;
  rounds: number;
  lockoutAfter?: number;
}) {
  const { reg } = await startPublishingRegistry({
    token: TOKEN,
    config: { proof: roomyProofLimits(o.lockoutAfter ?? 50) },
    circuits: Object.fromEntries(o.handles.map((handle) => [handle, o.secret])),
    rounds: o.rounds,
  });
  return reg;
}
