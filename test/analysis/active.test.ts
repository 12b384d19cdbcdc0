import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { activeEstimate } from '../../src/analysis/active.js';
import { activeParamsFromProof, proofDefaults } from '../../src/analysis/active-config.js';
import { repoRoot } from '../circuits/sixzone-artifact.js';
import { tempDir } from '../helpers/registry.js';

const dir = tempDir('analyze-active-');
after(() => dir.remove());

describe('active attacker', () => {
  it('expects 1/p guesses, and no attacker gets a 50 % chance in fewer than 1/(2p)', () => {
    const e = activeEstimate(1e-6, { guessesPerHour: 60, powHashesPerGuess: 2 ** 10 });
    assert.equal(e.expected_guesses, 1e6);
    assert.equal(e.expected_hours, 1e6 / 60);
    assert.equal(e.half_chance_guesses, 5e5);
    assert.equal(e.half_chance_hours, 5e5 / 60);
    assert.equal(e.expected_pow_hashes, 1e6 * 1024);
    assert.throws(() => activeEstimate(0, { guessesPerHour: 60, powHashesPerGuess: 0 }), RangeError);
    assert.throws(() => activeEstimate(0.5, { guessesPerHour: 0, powHashesPerGuess: 0 }), RangeError);
  });

  it("reads the guessing budget from the config: the handle's budget plus 3600/lockout_seconds per address, at full proof of work", () => {
    const d = proofDefaults();
    assert.equal(activeParamsFromProof(d).guessesPerHour, d.guesses_per_hour + 3600 / d.lockout_seconds);
    assert.equal(activeParamsFromProof(d).powHashesPerGuess, 2 ** d.pow_max_difficulty);
    const p = { guesses_per_hour: 90, lockout_seconds: 900, pow_max_difficulty: 20 };
    assert.equal(activeParamsFromProof(p).guessesPerHour, 94);
    assert.equal(activeParamsFromProof(p, 1000).guessesPerHour, 90 + 4000);
    assert.equal(activeParamsFromProof({ ...p, guesses_per_hour: 10, lockout_seconds: 60 }, 2).guessesPerHour, 130);
  });

  it('the command follows --config', async () => {
    const cfg = join(dir.path, 'registry.toml');
    writeFileSync(cfg, '[proof]\nguesses_per_hour = 540\nlockout_seconds = 60\n');
    const run = (extra: string[]) =>
      promisify(execFile)(
        process.execPath,
        [
          join(repoRoot, 'dist', 'src', 'cli', 'main.js'),
          'analyze',
          'observation',
          '--seed',
          'cfg',
          '--length',
          '4',
          '--trials',
          '2',
          '--json',
          ...extra,
        ],
        {
          encoding: 'utf8',
        },
      );
    type Doc = {
      active: {
        params: { guesses_per_hour: number };
        rows: Array<{ expected_guesses: number; expected_hours: number }>;
      };
    };
    const [defaults, configured] = (await Promise.all([run([]), run(['--config', cfg])])).map(
      (r) => JSON.parse(r.stdout) as Doc,
    );
    assert.equal(
      defaults!.active.params.guesses_per_hour,
      proofDefaults().guesses_per_hour + 3600 / proofDefaults().lockout_seconds,
    );
    assert.equal(configured!.active.params.guesses_per_hour, 600);
    const [a, b] = [defaults!.active.rows[0]!, configured!.active.rows[0]!];
    assert.equal(a.expected_guesses, b.expected_guesses); // same seed, same grids: the same chance per guess
    assert.equal(b.expected_hours, b.expected_guesses / 600);
    await assert.rejects(run(['--config', join(dir.path, 'missing.toml')]), (e: { code: number }) => e.code === 1);
  });
});
