// The guess budget: per-client lockout, per-handle limit and the proof of work a challenge costs after failures.
import type { Config } from '../config/schema.js';
import { rateLimited } from '../errors.js';
import { systemClock, type Clock } from '../config/clock.js';
import type { FailureMeter } from '../guard/failure-meter.js';

/** Recent wrong answers at one handle: from this client, and from everyone. */
export interface GuessState {
  client: number;
  handle: number;
}

/**
 * How many guesses at a secret the gateway lets through (issue 12 §5, DESIGN §5). Wrong answers are
 * counted twice, as leaky counters:
 * - per (handle, client): each drains in `lockout_seconds`; a client holding `lockout_after` of them is
 *   locked out of that handle. Only that client: a stranger's failures never lock the owner out.
 * - per handle, from every client: drains at `guesses_per_hour`. While it holds `pow_free_failures` or
 *   more, a challenge costs proof of work whose difficulty grows with it, from `pow_min_difficulty` up to
 *   `pow_max_difficulty` (sized so that the owner still proves within seconds). Once it reaches
 *   `guesses_per_hour` the budget is spent: only clients without a recent failure at the handle are
 *   served (the owner among them), so each attacking address adds at most one guess per `lockout_seconds`.
 */
export class GuessBudget {
  private readonly p: Config['proof'];

  constructor(
    private readonly meter: FailureMeter,
    config: Pick<Config, 'proof'>,
    private readonly clock: Clock = systemClock,
  ) {
    this.p = config.proof;
    if (this.p.pow_min_difficulty > this.p.pow_max_difficulty)
      throw new Error('proof.pow_min_difficulty must not exceed proof.pow_max_difficulty');
  }

  /** The (handle, client) counter and the handle's, after adding `toClient` and `toHandle`. */
  private async measure(handle: string, client: string, toClient: number, toHandle: number): Promise<GuessState> {
    const [c, h] = await this.meter.levels(
      [
        { key: `proof:fail:client:${handle}:${client}`, drainPerSec: 1 / this.p.lockout_seconds, add: toClient },
        { key: `proof:fail:handle:${handle}`, drainPerSec: this.p.guesses_per_hour / 3600, add: toHandle },
      ],
      this.clock.now(),
    );
    return { client: c!, handle: h! };
  }

  read(handle: string, client: string): Promise<GuessState> {
    return this.measure(handle, client, 0, 0);
  }

  /**
   * Counts one guess against this client up front and returns the state after it, or throws 429 (counting
   * nothing) when the state before it refuses the guess. Counting before checking makes concurrent
   * validates from one client see each other: N at once cannot all pass a check made while none was
   * counted yet. The handle's budget is charged only by `settle`, once the answer is known to be wrong,
   * so the owner's right answers in flight never make anyone's next challenge cost proof of work.
   */
  async begin(handle: string, client: string): Promise<GuessState> {
    const after = await this.measure(handle, client, 1, 0);
    try {
      this.admit({ client: after.client - 1, handle: after.handle });
    } catch (e) {
      await this.settle(handle, client, false);
      throw e;
    }
    return after;
  }

  /** Ends a guess `begin` counted: a wrong answer stays counted and is charged to the handle; else refunded. */
  async settle(handle: string, client: string, wrong: boolean): Promise<void> {
    await (wrong ? this.measure(handle, client, 0, 1) : this.measure(handle, client, -1, 0));
  }

  /** Whether this client is locked out of the handle (one more guess would exceed `lockout_after`). */
  lockedOut(s: GuessState): boolean {
    return s.client > this.p.lockout_after - 1;
  }

  /** Throws 429 RATE_LIMITED when this client may not guess at the handle now. */
  admit(s: GuessState): void {
    const { lockout_after: n, lockout_seconds: perFailure, guesses_per_hour: g } = this.p;
    if (this.lockedOut(s)) {
      const wait = (s.client - (n - 1)) * perFailure;
      throw rateLimited(wait, { reason: 'locked_out', retry_after_seconds: Math.max(1, Math.ceil(wait)) });
    }
    if (s.handle > g - 1 && s.client > 0) {
      // Budget spent: this client may guess again once its own failures have drained, or the handle's.
      const wait = Math.min(s.client * perFailure, ((s.handle - (g - 1)) * 3600) / g);
      throw rateLimited(wait, { reason: 'guess_budget', retry_after_seconds: Math.max(1, Math.ceil(wait)) });
    }
  }

  /** Leading zero bits a challenge costs at this handle now (0: no proof of work). */
  difficulty(s: GuessState): number {
    const { pow_free_failures: free, pow_min_difficulty: lo, pow_max_difficulty: hi, guesses_per_hour: g } = this.p;
    const failures = Math.ceil(s.handle); // a failure that has partly drained still counts
    if (failures < free) return 0;
    const grown = lo + Math.floor(((failures - free) * (hi - lo)) / Math.max(1, g - free));
    return Math.min(hi, grown);
  }
}
