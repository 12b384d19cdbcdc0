// The observing attacker's simulation: trials of watched ceremonies, candidates left and pass chance per session.
import { SYMBOLS, dealRound, labels } from './grid.js';
import { Observer, type Session } from './observer.js';
import { HashStream, analysisKey } from './stream.js';

export interface ObservationOptions {
  rounds: number;
  length: number;
  mapping: boolean;
  trials: number;
  /** Rows k = 0 … sessions (fewer when every trial is down to its true candidate earlier). */
  sessions: number;
  /** Any text: the same seed gives the same secrets, mappings and challenge seeds, so the same figures. */
  seed: string;
  /** Called after each trial. */
  onTrial?: () => void;
}

export interface ObservationRow {
  /** Sessions watched. */
  k: number;
  /** Median over trials of the exact number of (secret, mapping) candidates left. */
  median_candidates: number;
  /** Mean over trials of the share of those candidates that answer the next ceremony correctly. */
  pass_probability: number;
  /**
   * Mean over trials of the largest share of candidates agreeing on one answer: the chance of an observer who
   * gives the answer most candidates give. Exact without a mapping and wherever the candidates could be
   * listed; otherwise (`best_answer_exact` false) an upper bound.
   */
  best_answer: number;
  best_answer_exact: boolean;
}

export interface ObservationResult {
  rounds: number;
  length: number;
  mapping: boolean;
  trials: number;
  /** Candidates before anything is watched: 36^length, × 720 with a mapping. */
  candidates_before: bigint;
  rows: ObservationRow[];
  /** The first k at which every trial was down to its one true candidate (later rows would all be 1), if any. */
  identified_at: number | null;
}

interface Trial {
  candidates: bigint[];
  pass: number[];
  best: number[];
  bestExact: boolean[];
}

/** Up to this many candidates are listed to find the most common answer exactly (with a mapping). */
const LIST_LIMIT = 100_000;

/**
 * What an observer sees of one ceremony on the challenge `seed`: each round's labels, and the bearings the
 * holder of `secret` (symbol indices) answers; `truth` maps a label to its bearing (identity without mapping).
 */
export function watchSession(
  seed: Uint8Array,
  rounds: number,
  mapping: boolean,
  secret: number[],
  truth: Uint8Array,
): Session {
  const roundLabels = Array.from({ length: rounds }, (_, r) => labels(dealRound(seed, r), mapping));
  return {
    labels: roundLabels,
    answers: Uint8Array.from(roundLabels, (l, r) => truth[l[secret[r % secret.length]!]!]!),
  };
}

/**
 * One trial: a random secret and mapping, then `sessions + 1` ceremonies on random challenge seeds. The
 * ceremony watched as session k+1 is also "the next ceremony" after k sessions: the candidates that would
 * answer it correctly are exactly those that survive watching it, so pass_k = |C_{k+1}| / |C_k|.
 */
function runTrial(o: ObservationOptions, key: Uint8Array, index: number): Trial {
  const draw = new HashStream(key, index);
  const secret = Array.from({ length: o.length }, () => draw.below(SYMBOLS));
  const truth = o.mapping ? draw.shuffle(6) : Uint8Array.from({ length: 6 }, (_, z) => z); // label → bearing
  const observer = new Observer(o.length, o.mapping);
  const t: Trial = { candidates: [observer.candidates()], pass: [], best: [], bestExact: [] };
  for (let k = 0; k <= o.sessions; k++) {
    const before = t.candidates[k]!;
    if (before === 1n) {
      // Only the truth is left: it answers every later ceremony, and so does the observer.
      t.pass.push(1);
      t.best.push(1);
      t.bestExact.push(true);
      t.candidates.push(1n);
      continue;
    }
    const session = watchSession(draw.bytes(32), o.rounds, o.mapping, secret, truth);
    const best = observer.bestAnswer(session.labels, LIST_LIMIT);
    t.best.push(ratio(best.size, before));
    t.bestExact.push(best.exact);
    observer.watch(session);
    const after = observer.candidates();
    t.pass.push(ratio(after, before));
    t.candidates.push(after);
  }
  return t;
}

function ratio(a: bigint, b: bigint): number {
  return Number(a) / Number(b);
}

function median(values: bigint[]): number {
  const s = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? Number(s[mid]!) : Number(s[mid - 1]! + s[mid]!) / 2;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function simulateObservation(o: ObservationOptions): ObservationResult {
  for (const [name, v, min] of [
    ['rounds', o.rounds, 1],
    ['length', o.length, 1],
    ['trials', o.trials, 1],
    ['sessions', o.sessions, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  }
  const key = analysisKey(o.seed);
  const trials: Trial[] = [];
  for (let i = 0; i < o.trials; i++) {
    trials.push(runTrial(o, key, i));
    o.onTrial?.();
  }
  const rows: ObservationRow[] = [];
  let identified_at: number | null = null;
  for (let k = 0; k <= o.sessions; k++) {
    rows.push({
      k,
      median_candidates: median(trials.map((t) => t.candidates[k]!)),
      pass_probability: mean(trials.map((t) => t.pass[k]!)),
      best_answer: mean(trials.map((t) => t.best[k]!)),
      best_answer_exact: trials.every((t) => t.bestExact[k]!),
    });
    if (trials.every((t) => t.candidates[k] === 1n)) {
      identified_at = k;
      break;
    }
  }
  return {
    rounds: o.rounds,
    length: o.length,
    mapping: o.mapping,
    trials: o.trials,
    candidates_before: trials[0]!.candidates[0]!,
    rows,
    identified_at,
  };
}
