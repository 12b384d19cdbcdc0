// What an observer can still believe about a secret after watching sessions, counted exactly over (secret, mapping).
import { SYMBOLS, ZONES } from './grid.js';

// Sets of symbols are 36-bit masks kept as two 18-bit halves (JavaScript's bitwise operators stop at 32 bits).
const HALF = 18;
const HALF_MASK = (1 << HALF) - 1;
const POPCOUNT = new Uint8Array(1 << HALF);
for (let i = 1; i < POPCOUNT.length; i++) POPCOUNT[i] = POPCOUNT[i >> 1]! + (i & 1);

/** One session as the observer sees it: per round, each symbol's label (zone or colour), and the answers. */
export interface Session {
  labels: Uint8Array[];
  answers: Uint8Array;
}

/** Per label of one round: the symbols carrying it, as [lo, hi] halves. */
function labelMasks(labels: Uint8Array): Uint32Array {
  const m = new Uint32Array(2 * ZONES);
  labels.forEach((label, symbol) => {
    if (symbol < HALF) m[2 * label]! |= 1 << symbol;
    else m[2 * label + 1]! |= 1 << (symbol - HALF);
  });
  return m;
}

/** Every permutation of 0..n-1 (720 for n = 6). */
function permutations(n: number): Uint8Array[] {
  if (n === 0) return [new Uint8Array(0)];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, at) => Uint8Array.from([...p.slice(0, at), n - 1, ...p.slice(at)])),
  );
}

const MAX_EXACT = Number.MAX_SAFE_INTEGER / SYMBOLS;

/** Σ over hypotheses of ∏ over positions of `factor(h, p)`, exactly. */
function sumOfProducts(
  hypotheses: readonly number[],
  positions: number,
  factor: (h: number, p: number) => number,
): bigint {
  let sum = 0n;
  for (const h of hypotheses) {
    let small = 1; // a Number while it is exact, a bigint past that
    let big: bigint | undefined;
    for (let p = 0; p < positions; p++) {
      const f = factor(h, p);
      if (big !== undefined) big *= BigInt(f);
      else if (small <= MAX_EXACT) small *= f;
      else big = BigInt(small) * BigInt(f);
    }
    sum += big ?? BigInt(small);
  }
  return sum;
}

/**
 * Everything an observer can still believe about a secret, kept exactly. A candidate is (secret, mapping).
 * For a fixed mapping hypothesis the watched rounds constrain each secret position independently (round r
 * names position r mod length, and the answer names one label), so the consistent secrets form a product of
 * per-position symbol sets; the candidate count is Σ over hypotheses of the product of the set sizes. Without
 * a mapping there is one hypothesis (the answer is the zone's own bearing); with one, all 720 colour→bearing
 * permutations. Hypotheses whose set for some position is empty are dropped for good.
 */
export class Observer {
  /** Per hypothesis: bearing → the label that answers with it. */
  private readonly inverse: Uint8Array[];
  private alive: number[];
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;

  constructor(
    readonly length: number,
    mapping: boolean,
  ) {
    if (!Number.isInteger(length) || length < 1) throw new RangeError('secret length must be a positive integer');
    this.inverse = mapping
      ? permutations(ZONES).map((perm) => {
          const inv = new Uint8Array(ZONES);
          perm.forEach((bearing, colour) => {
            inv[bearing] = colour;
          });
          return inv;
        })
      : [Uint8Array.from({ length: ZONES }, (_, z) => z)];
    this.alive = this.inverse.map((_, h) => h);
    this.lo = new Uint32Array(this.inverse.length * length).fill(HALF_MASK);
    this.hi = new Uint32Array(this.inverse.length * length).fill(HALF_MASK);
  }

  /** Keeps only the candidates that would have given `session`'s answers. */
  watch(session: Session): void {
    const L = this.length;
    session.labels.forEach((labels, r) => {
      const masks = labelMasks(labels);
      const answer = session.answers[r]!;
      const p = r % L;
      for (const h of this.alive) {
        const label = this.inverse[h]![answer]!;
        this.lo[h * L + p]! &= masks[2 * label]!;
        this.hi[h * L + p]! &= masks[2 * label + 1]!;
      }
    });
    this.alive = this.alive.filter((h) => {
      for (let p = 0; p < L; p++) if (this.size(h, p) === 0) return false;
      return true;
    });
  }

  /** The number of (secret, mapping) candidates still consistent with everything watched. */
  candidates(): bigint {
    return sumOfProducts(this.alive, this.length, (h, p) => this.size(h, p));
  }

  /**
   * An upper bound on how many candidates can agree on any one answer to a ceremony with these `labels`
   * (exact without a mapping). Under one hypothesis the answers for position p depend only on the symbol's
   * labels in the rounds that ask for p, so the largest agreeing group is the product over positions of the
   * largest class of same-labelled symbols; summing that over hypotheses bounds the best single answer.
   */
  bestAnswerBound(labels: Uint8Array[]): bigint {
    const L = this.length;
    const classes = Array.from({ length: L }, (_, p) => {
      const byKey = new Map<string, [number, number]>();
      for (let symbol = 0; symbol < SYMBOLS; symbol++) {
        let key = '';
        for (let r = p; r < labels.length; r += L) key += labels[r]![symbol];
        const m = byKey.get(key) ?? [0, 0];
        if (symbol < HALF) m[0] |= 1 << symbol;
        else m[1] |= 1 << (symbol - HALF);
        byKey.set(key, m);
      }
      return [...byKey.values()];
    });
    return sumOfProducts(this.alive, L, (h, p) => {
      const lo = this.lo[h * L + p]!;
      const hi = this.hi[h * L + p]!;
      let best = 0;
      for (const [clo, chi] of classes[p]!) best = Math.max(best, POPCOUNT[lo & clo]! + POPCOUNT[hi & chi]!);
      return best;
    });
  }

  /**
   * The size of the largest group of candidates that give one same answer to a ceremony with these `labels`:
   * exact without a mapping, or when at most `limit` candidates are left (they are listed and grouped by
   * answer); otherwise bestAnswerBound, and `exact` is false.
   */
  bestAnswer(labels: Uint8Array[], limit: number): { size: bigint; exact: boolean } {
    if (this.inverse.length === 1) return { size: this.bestAnswerBound(labels), exact: true };
    if (this.candidates() > BigInt(limit)) return { size: this.bestAnswerBound(labels), exact: false };
    const L = this.length;
    const groups = new Map<string, number>();
    for (const h of this.alive) {
      const bearing = new Uint8Array(ZONES);
      this.inverse[h]!.forEach((label, b) => {
        bearing[label] = b;
      });
      // Per position, the possible symbols grouped by the answers they give; a candidate's answer is one
      // group per position, and the number of candidates giving it is the product of the group sizes.
      let answers: Array<[string, number]> = [['', 1]];
      for (let p = 0; p < L; p++) {
        const byAnswer = new Map<string, number>();
        for (let symbol = 0; symbol < SYMBOLS; symbol++) {
          if (!this.has(h, p, symbol)) continue;
          let key = '';
          for (let r = p; r < labels.length; r += L) key += bearing[labels[r]![symbol]!];
          byAnswer.set(key, (byAnswer.get(key) ?? 0) + 1);
        }
        answers = answers.flatMap(([key, n]) =>
          [...byAnswer].map(([k, m]): [string, number] => [`${key}|${k}`, n * m]),
        );
      }
      for (const [key, n] of answers) groups.set(key, (groups.get(key) ?? 0) + n);
    }
    return { size: BigInt(Math.max(0, ...groups.values())), exact: true };
  }

  private has(h: number, p: number, symbol: number): boolean {
    const i = h * this.length + p;
    return ((symbol < HALF ? this.lo[i]! >>> symbol : this.hi[i]! >>> (symbol - HALF)) & 1) === 1;
  }

  private size(h: number, p: number): number {
    const i = h * this.length + p;
    return POPCOUNT[this.lo[i]!]! + POPCOUNT[this.hi[i]!]!;
  }
}
