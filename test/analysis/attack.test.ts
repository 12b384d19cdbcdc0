// The observation attack, tried for real: a registry over HTTP, a minted sixzone circuit, its owner proving
// a few times while someone watches; the watcher then proves as the owner. The analyser's exact count is
// checked on these real grids against the explicit candidate list the watcher answers from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  SIXZONE_BEARINGS,
  SIXZONE_COLOURS,
  solveSixzone,
  type SixzoneChallenge,
  type SixzoneSecret,
} from '../../src/client/sixzone.js';
import { Observer } from '../../src/analysis/observer.js';
import type { SealRecipient } from '../../src/crypto/seal.js';
import { call, startTestRegistry } from '../helpers/registry.js';
import { mintSixzone, newPublisher, publish, sha256Hex } from '../proof/mint.js';
import { candidates, type Watched } from './brute.js';

const TOKEN = 'analysis-attack-token';
const SECRET: SixzoneSecret = {
  symbols: 'Q7ZK2M',
  mapping: { red: 'NW', orange: 'S', yellow: 'N', green: 'SE', blue: 'NE', violet: 'SW' },
};

interface Challenge {
  nonce_uuid: string;
  tau: string;
  challenge: SixzoneChallenge;
}

/** What a watcher learns per symbol from a round's JSON: its zone's colour (the secret has a mapping). */
function colourLabels(c: SixzoneChallenge): Uint8Array[] {
  return c.rounds.map((round) => {
    const labels = new Uint8Array(36);
    for (const zone of round.zones)
      for (const s of zone.symbols) labels[c.alphabet.indexOf(s)] = SIXZONE_COLOURS.indexOf(zone.colour);
    return labels;
  });
}

describe('observation attack against a running registry', () => {
  let reg: Awaited<ReturnType<typeof startTestRegistry>>;
  const publisher = newPublisher();

  before(async () => {
    reg = await startTestRegistry({
      circuits: { publisher_public_keys_hex: [publisher.publicHex] },
      admin: { token_sha256_hex: [sha256Hex(TOKEN)] },
    });
    const recipient = (await call<SealRecipient>(reg.url, 'GET', '/api/circuits/sealing-key')).body;
    const r = await publish(reg.url, TOKEN, mintSixzone({ handle: 'alice', secret: SECRET, recipient, publisher }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(() => reg.close());

  const challenge = async () => {
    const r = await call<Challenge>(reg.url, 'POST', '/api/circuits/alice/challenge', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const validate = (ch: Challenge, bearings: string[]) =>
    call(reg.url, 'POST', '/api/circuits/alice/validate', {
      kind: 'bearings',
      nonce_uuid: ch.nonce_uuid,
      payload: { tau: ch.tau, bearings, proof_hash: sha256Hex(`${ch.nonce_uuid}|${ch.tau}|${bearings.join(',')}`) },
    });

  it('a few watched ceremonies of a 6-symbol secret with a mapping are enough to prove as its owner', async () => {
    const observer = new Observer(6, true);
    const watched: Watched[] = [];
    let list: SixzoneSecret[] = [];
    while (list.length !== 1) {
      assert.ok(watched.length < 6, `still ${list.length} candidates after ${watched.length} ceremonies`);
      // The owner proves; the watcher sees the grid and the bearings.
      const ch = await challenge();
      const answers = solveSixzone(ch.challenge, SECRET);
      assert.equal((await validate(ch, answers)).status, 200);
      observer.watch({
        labels: colourLabels(ch.challenge),
        answers: Uint8Array.from(answers, (b) => SIXZONE_BEARINGS.indexOf(b)),
      });
      watched.push({ challenge: ch.challenge, answers });
      list = candidates(watched, 6, true);
      assert.equal(observer.candidates(), BigInt(list.length), `after ${watched.length} ceremonies`);
    }
    assert.deepEqual(list[0], SECRET);
    // The watcher now answers a fresh challenge and gets the owner's receipt.
    const ch = await challenge();
    const r = await validate(ch, solveSixzone(ch.challenge, list[0]!));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body as { validated: boolean }).validated, true);
  });
});
