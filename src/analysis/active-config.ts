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
 * Today's lockout as explicit parameters. `lockout_after` wrong proofs within `lockout_seconds` lock the handle
 * for `lockout_seconds` (src/proof/gateway.ts: a bucket of rate n/s and burst n−1, banning for s): at best n
 * guesses per s seconds, whether the attacker bursts and waits out the lock or paces at the refill rate. The
 * proof path asks for no proof of work. `assumptions` says so in the output; re-point this adapter when the
 * lockout changes.
 */
export function activeParamsFromProof(proof: Pick<ProofConfig, 'lockout_after' | 'lockout_seconds'>): ActiveParams & { assumptions: string[] } {
  const perHour = (proof.lockout_after * 3600) / proof.lockout_seconds;
  return {
    guessesPerHour: perHour,
    powHashesPerGuess: 0,
    assumptions: [
      `proof.lockout_after = ${proof.lockout_after}, proof.lockout_seconds = ${proof.lockout_seconds}: at most ${proof.lockout_after} wrong proofs per ${proof.lockout_seconds} s per handle = ${fmt(perHour)} guesses per hour per handle`,
      'the lockout counts per handle, so more clients do not add guesses; attacking several handles multiplies them',
      'no proof of work is asked on the proof path (the [pow] section guards the node directory only)',
    ],
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
