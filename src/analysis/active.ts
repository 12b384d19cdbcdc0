// The active attacker: no watching, only guesses and rejections. Written against explicit parameters; the
// adapter in active-config.ts derives them from the registry's configuration.

export interface ActiveParams {
  /** Wrong proofs one handle accepts per hour, sustained, whatever the number of clients. */
  guessesPerHour: number;
  /** Expected SHA-256 evaluations of proof of work the attacker pays per guess (0: none). */
  powHashesPerGuess: number;
}

export interface ActiveEstimate {
  /** One blind guess's chance to pass (from the k = 0 row of the observation run). */
  pass_per_guess: number;
  /** 1 / pass_per_guess: the expected guesses of an attacker whose every guess has that chance. */
  expected_guesses: number;
  expected_hours: number;
  /**
   * A lower bound for every attacker whose guesses each pass with at most pass_per_guess, adaptive ones
   * included: a challenge's grid is fresh, so each guess passes with probability at most pass_per_guess over
   * the prior (a rejection only removes candidates), and by the union bound G guesses succeed with
   * probability at most G · pass_per_guess. With the best-answer bound that is every attacker.
   */
  half_chance_guesses: number;
  half_chance_hours: number;
  /** Proof-of-work hashes spent for the expected guesses. */
  expected_pow_hashes: number;
}

export function activeEstimate(passPerGuess: number, p: ActiveParams): ActiveEstimate {
  if (!(passPerGuess > 0 && passPerGuess <= 1)) throw new RangeError('pass probability per guess must be in (0, 1]');
  if (!(p.guessesPerHour > 0)) throw new RangeError('guesses per hour must be positive');
  const expected = 1 / passPerGuess;
  const half = 1 / (2 * passPerGuess);
  return {
    pass_per_guess: passPerGuess,
    expected_guesses: expected,
    expected_hours: expected / p.guessesPerHour,
    half_chance_guesses: half,
    half_chance_hours: half / p.guessesPerHour,
    expected_pow_hashes: expected * p.powHashesPerGuess,
  };
}
