import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SIXZONE_BEARINGS, type SixzoneRound, type SixzoneSecret } from '../../src/client/sixzone.js';
import { parseKeys, renderRound } from '../../src/cli/prove.js';
import { runCli, tempDir } from '../helpers/registry.js';
import { startProofRegistry } from '../client/proof-registry.js';

const SECRET: SixzoneSecret = {
  symbols: 'QW3RT',
  mapping: { red: 'SW', orange: 'N', yellow: 'SE', green: 'NE', blue: 'S', violet: 'NW' },
};
const ROUND: SixzoneRound = {
  round: 0,
  zones: (['red', 'orange', 'yellow', 'green', 'blue', 'violet'] as const).map((colour, i) => ({
    bearing: SIXZONE_BEARINGS[(i + 2) % 6]!,
    colour,
    symbols: [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.slice(i * 6, i * 6 + 6)],
  })),
};

test('a round reads without colour: every zone names its key, bearing, colour and symbols; the highlight is marked', () => {
  const plain = renderRound(ROUND, 2, 12, 3, false);
  assert.doesNotMatch(plain, /\x1b/);
  assert.match(plain, /round 3 of 12/);
  for (const z of ROUND.zones) {
    const k = SIXZONE_BEARINGS.indexOf(z.bearing) + 1;
    assert.ok(plain.includes(`[${k} ${z.bearing} ${z.colour}: ${z.symbols.join(' ')}]`), `${z.bearing} drawn`);
  }
  assert.match(plain, />\[4 S \w+: [A-Z0-9 ]+\]</, 'zone 4 (S) highlighted');
  assert.equal(plain.match(/>\[/g)?.length, 1);
  const coloured = renderRound(ROUND, 2, 12, 3, true);
  assert.match(coloured, /\x1b\[31m\[\d \w+ red:/);
  assert.match(coloured, /\x1b\[38;5;208;1;7m\[4 S orange:/, 'orange (256 colours), highlighted');
  assert.match(coloured, /\x1b\[\d+(;\d+)*;1;7m\[4 S /, 'the highlight is reverse video');
});

test('keys: digits 1-6, arrows (CSI and SS3), Enter, Ctrl-C; everything else ignored', () => {
  assert.deepEqual(parseKeys('1x6\x1b[A\x1bOB\x1b[C\x1b[D\r\n\x037'), [
    'digit1',
    'digit6',
    'up',
    'down',
    'right',
    'left',
    'enter',
    'enter',
    'ctrl-c',
  ]);
});

describe('prove --secret-file (no terminal)', () => {
  let reg: Awaited<ReturnType<typeof startProofRegistry>>;
  const dir = tempDir();
  before(async () => {
    reg = await startProofRegistry({ handles: ['cli-alice'], secret: SECRET, rounds: 4 });
  });
  after(async () => {
    await reg.close();
    dir.remove();
  });

  test('the right secret (text form): accepted, receipt printed and verified, exit 0', async () => {
    const file = join(dir.path, 'secret.txt');
    writeFileSync(file, `${SECRET.symbols.toLowerCase()}\n${['SW', 'N', 'SE', 'NE', 'S', 'NW'].join(' ')}\n`);
    const r = await runCli(['prove', 'cli-alice', '--registry', reg.url, '--secret-file', file]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (let k = 1; k <= 4; k++) assert.match(r.stdout, new RegExp(`round ${k} of 4`));
    assert.match(r.stdout, /PROOF ACCEPTED/);
    assert.match(r.stdout, /receipt: [\w-]+\.[\w-]+\.[\w-]+/);
    assert.match(r.stdout, /receipt verified against .*jwks\.json: iss \S+, sub cli-alice,/);
  });

  test('a wrong secret (JSON form): rejected, exit 1; a malformed file is refused before any challenge', async () => {
    const file = join(dir.path, 'wrong.json');
    // Every colour sent to another bearing than the enrolled one: every round is answered wrong.
    const rotated = Object.fromEntries(
      Object.entries(SECRET.mapping!).map(([c, b]) => [c, SIXZONE_BEARINGS[(SIXZONE_BEARINGS.indexOf(b) + 1) % 6]]),
    );
    writeFileSync(file, JSON.stringify({ symbols: SECRET.symbols, mapping: rotated }));
    const r = await runCli(['prove', 'cli-alice', '--registry', reg.url, '--secret-file', file]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /PROOF REJECTED/);
    assert.doesNotMatch(r.stdout, /receipt:/);

    writeFileSync(file, '{"symbols":"ab"}');
    const bad = await runCli(['prove', 'cli-alice', '--registry', 'http://127.0.0.1:1', '--secret-file', file]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /4-12 symbols/);
  });

  test('once the handle has seen wrong answers, prove solves the proof of work the registry asks for, and is accepted', async () => {
    const wrongFile = join(dir.path, 'wrong-again.json');
    const rotated = Object.fromEntries(
      Object.entries(SECRET.mapping!).map(([c, b]) => [c, SIXZONE_BEARINGS[(SIXZONE_BEARINGS.indexOf(b) + 2) % 6]]),
    );
    writeFileSync(wrongFile, JSON.stringify({ symbols: SECRET.symbols, mapping: rotated }));
    // proof.pow_free_failures = 3 (startProofRegistry): with this test's earlier wrong answer, three are counted now.
    for (let i = 0; i < 2; i++)
      assert.equal((await runCli(['prove', 'cli-alice', '--registry', reg.url, '--secret-file', wrongFile])).code, 1);
    const file = join(dir.path, 'secret-pow.txt');
    writeFileSync(file, `${SECRET.symbols}\n${['SW', 'N', 'SE', 'NE', 'S', 'NW'].join(' ')}\n`);
    const r = await runCli(['prove', 'cli-alice', '--registry', reg.url, '--secret-file', file]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /asks for proof of work first \(12 bits; this handle has seen wrong answers\)/);
    assert.match(r.stdout, /PROOF ACCEPTED/);
  });

  test('no terminal and no secret file, missing --registry, unknown handle', async () => {
    const r = await runCli(['prove', 'cli-alice', '--registry', reg.url]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a terminal/);
    assert.equal((await runCli(['prove', 'cli-alice'])).code, 2);
    const file = join(dir.path, 'secret.txt');
    const nf = await runCli(['prove', 'nobody', '--registry', reg.url, '--secret-file', file]);
    assert.equal(nf.code, 1);
    assert.match(nf.stderr, /NOT_FOUND/);
  });
});
