// The observation attack, tried for real: a registry over HTTP, a minted sixzone circuit, its owner proving
// a few times while someone watches; the watcher then proves as the owner. The analyser's exact count is
// checked on these real grids against the explicit candidate list the watcher answers from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Challenge } from '../../src/client/index.js';
import { solveSixzone, type SixzoneSecret } from '../../src/client/sixzone.js';
import { Observer } from '../../src/analysis/observer.js';
import { call } from '../helpers/registry.js';
import { answerBody, startPublishingRegistry, type TestRegistry } from '../proof/mint.js';
import { candidates, colourSession, type Watched } from './brute.js';

const TOKEN = 'analysis-attack-token';
const SECRET: SixzoneSecret = {
  symbols: 'Q7ZK2M',
  mapping: { red: 'NW', orange: 'S', yellow: 'N', green: 'SE', blue: 'NE', violet: 'SW' },
};

describe('observation attack against a running registry', () => {
  let reg: TestRegistry;

  before(async () => {
    ({ reg } = await startPublishingRegistry({ token: TOKEN, circuits: { alice: SECRET } }));
  });
  after(() => reg.close());

  const challenge = async () => {
    const r = await call<Challenge>(reg.url, 'POST', '/api/circuits/alice/challenge', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const validate = (ch: Challenge, bearings: string[]) =>
    call(reg.url, 'POST', '/api/circuits/alice/validate', answerBody(ch, bearings));

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
      const seen: Watched = { challenge: ch.challenge, answers };
      observer.watch(colourSession(seen));
      watched.push(seen);
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
