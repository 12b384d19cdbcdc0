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

  it('reads the lockout from the config: n wrong proofs per s seconds per handle', () => {
    const d = proofDefaults();
    assert.equal(activeParamsFromProof(d).guessesPerHour, (d.lockout_after * 3600) / d.lockout_seconds);
    assert.equal(activeParamsFromProof({ lockout_after: 10, lockout_seconds: 60 }).guessesPerHour, 600);
    assert.equal(activeParamsFromProof({ lockout_after: 1, lockout_seconds: 7200 }).guessesPerHour, 0.5);
  });

  it('the command follows --config', async () => {
    const cfg = join(dir.path, 'registry.toml');
    writeFileSync(cfg, '[proof]\nlockout_after = 10\nlockout_seconds = 60\n');
    const run = (extra: string[]) =>
      promisify(execFile)(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'analyze', 'observation', '--seed', 'cfg', '--length', '4', '--trials', '2', '--json', ...extra], {
        encoding: 'utf8',
      });
    type Doc = { active: { params: { guesses_per_hour: number }; rows: Array<{ expected_guesses: number; expected_hours: number }> } };
    const [defaults, configured] = (await Promise.all([run([]), run(['--config', cfg])])).map((r) => JSON.parse(r.stdout) as Doc);
    assert.equal(defaults!.active.params.guesses_per_hour, (proofDefaults().lockout_after * 3600) / proofDefaults().lockout_seconds);
    assert.equal(configured!.active.params.guesses_per_hour, 600);
    const [a, b] = [defaults!.active.rows[0]!, configured!.active.rows[0]!];
    assert.equal(a.expected_guesses, b.expected_guesses); // same seed, same grids: the same chance per guess
    assert.equal(b.expected_hours, b.expected_guesses / 600);
    await assert.rejects(run(['--config', join(dir.path, 'missing.toml')]), (e: { code: number }) => e.code === 1);
  });
});
