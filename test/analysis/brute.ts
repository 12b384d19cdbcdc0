// An independent reference for the analyser: explicit (secret, mapping) candidates, each checked round by
// round with the client's own solver (src/client/sixzone.ts) on the challenge JSON. No masks, no product
// formula: what it counts, it lists.
import {
  SIXZONE_ALPHABET,
  SIXZONE_BEARINGS,
  SIXZONE_COLOURS,
  solveSixzone,
  type Bearing,
  type SixzoneChallenge,
  type SixzoneMapping,
  type SixzoneRound,
  type SixzoneSecret,
} from '../../src/client/sixzone.js';
import type { Session } from '../../src/analysis/observer.js';
import { dealRound, toSixzoneRound } from '../../src/analysis/grid.js';

export interface Watched {
  challenge: SixzoneChallenge;
  answers: Bearing[];
}

export function challengeOf(seed: Uint8Array, rounds: number): SixzoneChallenge {
  return {
    circuit: 'sixzone',
    version: 1,
    nonce_uuid: 'n',
    tau: 't',
    alphabet: SIXZONE_ALPHABET,
    rounds: Array.from({ length: rounds }, (_, r) => toSixzoneRound(dealRound(seed, r), r)),
  };
}

/**
 * A watched ceremony as the analyser's Observer takes it when the secret has a mapping: per round, each
 * symbol's zone colour (all a watcher learns of it from the round's JSON), and the answers as bearing indices.
 */
export function colourSession(w: Watched): Session {
  return {
    labels: w.challenge.rounds.map((round) => {
      const labels = new Uint8Array(w.challenge.alphabet.length);
      for (const zone of round.zones)
        for (const s of zone.symbols) labels[w.challenge.alphabet.indexOf(s)] = SIXZONE_COLOURS.indexOf(zone.colour);
      return labels;
    }),
    answers: Uint8Array.from(w.answers, (b) => SIXZONE_BEARINGS.indexOf(b)),
  };
}

/** All 720 colour→bearing mappings. */
export function allMappings(): SixzoneMapping[] {
  const out: SixzoneMapping[] = [];
  const walk = (used: Bearing[]) => {
    if (used.length === 6) {
      out.push(Object.fromEntries(SIXZONE_COLOURS.map((c, i) => [c, used[i]!])) as SixzoneMapping);
      return;
    }
    for (const b of SIXZONE_BEARINGS) if (!used.includes(b)) walk([...used, b]);
  };
  walk([]);
  return out;
}

const zoneIndex = new WeakMap<SixzoneRound, Map<string, SixzoneRound['zones'][number]>>();

/** The bearing `symbol` answers in one round, straight from the challenge JSON. */
function answerOf(round: SixzoneRound, symbol: string, mapping?: SixzoneMapping): Bearing {
  let zones = zoneIndex.get(round);
  if (!zones) {
    zones = new Map(round.zones.flatMap((z) => z.symbols.map((s) => [s, z] as const)));
    zoneIndex.set(round, zones);
  }
  const zone = zones.get(symbol)!;
  return mapping ? mapping[zone.colour] : zone.bearing;
}

/**
 * Every candidate consistent with `watched`, listed. Per mapping, a position's symbol is pruned on the rounds
 * that ask for it; every assembled secret is then re-checked whole with solveSixzone against every session.
 */
export function candidates(watched: Watched[], length: number, withMapping: boolean): SixzoneSecret[] {
  const out: SixzoneSecret[] = [];
  for (const mapping of withMapping ? allMappings() : [undefined]) {
    const perPosition = Array.from({ length }, (_, p) =>
      [...SIXZONE_ALPHABET].filter((x) =>
        watched.every((w) =>
          w.challenge.rounds.every((round, r) => r % length !== p || answerOf(round, x, mapping) === w.answers[r]),
        ),
      ),
    );
    let secrets = [''];
    for (const options of perPosition) secrets = secrets.flatMap((s) => options.map((x) => s + x));
    for (const symbols of secrets) {
      const secret: SixzoneSecret = mapping ? { symbols, mapping } : { symbols };
      if (watched.every((w) => solveSixzone(w.challenge, secret).join() === w.answers.join())) out.push(secret);
    }
  }
  return out;
}

/** The size of the largest group of `list` that gives the same answers to `challenge`. */
export function largestAgreeing(list: SixzoneSecret[], challenge: SixzoneChallenge): number {
  const groups = new Map<string, number>();
  for (const s of list) {
    const key = solveSixzone(challenge, s).join();
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return Math.max(...groups.values());
}
