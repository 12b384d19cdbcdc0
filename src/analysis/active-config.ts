// The `[proof]` section's guess budget as explicit parameters for the active attacker of `analyze`.
import type { Static } from 'typebox';
import Value from 'typebox/value';
import { ProofSection } from '../config/sections/api.js';
import type { ActiveParams } from './active.js';

export type ProofConfig = Static<typeof ProofSection>;

/** The `[proof]` section with every default of the schema filled in (no config file). */
export function proofDefaults(): ProofConfig {
  return Value.Default(ProofSection, {}) as ProofConfig;
}

/**
 * The guessing budget (README "Guessing budget") as explicit parameters, for an attacker with `addresses` client
 * addresses: wrong answers at a handle drain at `guesses_per_hour` from every client together, and each address
 * adds at most 3600 / `lockout_seconds` more an hour (its own lock holds it to `lockout_after` per
 * `lockout_seconds`, and past the handle's budget only clients without a recent failure are served). Past
 * `pow_free_failures` a challenge costs proof of work; a sustained attacker keeps the count at the budget, where
 * the difficulty is `pow_max_difficulty` bits: 2^bits hashes expected per guess.
 */
export function activeParamsFromProof(
  proof: Pick<ProofConfig, 'lockout_seconds' | 'guesses_per_hour' | 'pow_max_difficulty'>,
  addresses = 1,
): ActiveParams & { assumptions: string[] } {
  const perAddress = 3600 / proof.lockout_seconds;
  const perHour = proof.guesses_per_hour + addresses * perAddress;
  return {
    guessesPerHour: perHour,
    powHashesPerGuess: 2 ** proof.pow_max_difficulty,
    assumptions: [
      `proof.guesses_per_hour = ${fmt(proof.guesses_per_hour)} per handle, plus ${fmt(perAddress)} an hour for each of ${addresses} attacking address${addresses === 1 ? '' : 'es'} (3600 / proof.lockout_seconds) = ${fmt(perHour)} guesses per hour per handle`,
      `each sustained guess pays proof of work at proof.pow_max_difficulty = ${proof.pow_max_difficulty} bits (2^${proof.pow_max_difficulty} SHA-256 expected)`,
      'the budget counts per handle: attacking several handles multiplies the guesses',
    ],
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
