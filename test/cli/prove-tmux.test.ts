import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SIXZONE_BEARINGS, type Colour, type SixzoneSecret } from '../../src/client/sixzone.js';
import { packageRoot } from '../../src/paths.js';
import { until } from '../helpers/clock.js';
import { tempDir } from '../helpers/registry.js';
import { systemSkip } from '../helpers/system.js';
import { startProofRegistry } from '../client/proof-registry.js';

// `prove` under a real terminal: tmux runs a shell in a 120×40 pane, the test types into it and reads
// the screen back. The interactive run is answered from what the pane shows, with the known secret.

const SECRET: SixzoneSecret = {
  symbols: 'Z8KP',
  mapping: { red: 'NW', orange: 'SE', yellow: 'S', green: 'N', blue: 'NE', violet: 'SW' },
};
const ROUNDS = 4;
const skip = systemSkip('prove in a terminal (tmux)', ['tmux']);
const SOCKET = `enigma-prove-test-${process.pid}`;
const CLI = join(packageRoot, 'dist/src/cli/main.js');

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const pane = (session: string, escapes = false) =>
  tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
const cursorShown = (session: string) => tmux('display-message', '-p', '-t', session, '#{cursor_flag}').trim() === '1';

/** Waits for the screen to show `re` (tmux has no change notification outside control mode, so: polled). */
async function waitFor(session: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
  let text = '';
  try {
    const shows = () => {
      text = pane(session);
      return re.test(text);
    };
    await until(shows, `pane showed ${re}`, { timeoutMs, everyMs: 50 });
  } catch (e) {
    throw new Error(`${(e as Error).message}; it shows:\n${text}`);
  }
  return text;
}

/** A shell in a fresh detached session; the command line is typed into it. */
function shell(session: string, env: Record<string, string> = {}) {
  const vars = Object.entries({ PS1: '$ ', ...env }).map(([k, v]) => `${k}=${v}`);
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '40',
    '-c',
    packageRoot,
    'env',
    ...vars,
    'bash',
    '--norc',
    '--noprofile',
  );
}

describe('prove in a real terminal (tmux)', { skip }, () => {
  let reg: Awaited<ReturnType<typeof startProofRegistry>>;
  const dir = tempDir();
  before(async () => {
    reg = await startProofRegistry({ handles: ['tty-alice'], secret: SECRET, rounds: ROUNDS });
  });
  after(async () => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    await reg.close();
    dir.remove();
  });

  test('answered by keystrokes read off the screen (digits and arrows + Enter): round progress, accepted, receipt verified', async () => {
    shell('keys');
    tmux('send-keys', '-t', 'keys', `node ${CLI} prove tty-alice --registry ${reg.url}; echo EXIT:$?`, 'Enter');
    for (let r = 0; r < ROUNDS; r++) {
      const screen = await waitFor('keys', new RegExp(`\\bround ${r + 1} of ${ROUNDS}\\b`));
      // Every zone is drawn as [k BEARING colour: s s s s s s].
      const zones = [
        ...screen.matchAll(
          /\[(\d) (N|NE|SE|S|SW|NW) (red|orange|yellow|green|blue|violet): ((?:[A-Z0-9] ){5}[A-Z0-9])\]/g,
        ),
      ];
      assert.equal(zones.length, 6, screen);
      const symbol = SECRET.symbols[r % SECRET.symbols.length]!;
      const zone = zones.find((z) => z[4]!.split(' ').includes(symbol));
      assert.ok(zone, `symbol ${symbol} on screen`);
      const target = SIXZONE_BEARINGS.indexOf(SECRET.mapping![zone[3] as Colour]);
      assert.match(screen, />\[1 N /, 'the highlight starts at N');
      if (r % 2 === 0) tmux('send-keys', '-t', 'keys', String(target + 1));
      else {
        for (let i = 0; i < target; i++) tmux('send-keys', '-t', 'keys', 'Right');
        if (target > 0) await waitFor('keys', new RegExp(`>\\[${target + 1} ${SIXZONE_BEARINGS[target]} `));
        tmux('send-keys', '-t', 'keys', 'Enter');
      }
    }
    const end = await waitFor('keys', /EXIT:\d+/);
    assert.match(end, /All 4 rounds answered/);
    assert.match(end, /PROOF ACCEPTED/);
    assert.match(end, /receipt verified against .*jwks\.json/);
    assert.match(end, /EXIT:0/);
    assert.ok(cursorShown('keys'));
  });

  test('--secret-file in the terminal: each round reported, accepted', async () => {
    const file = join(dir.path, 'secret.json');
    writeFileSync(file, JSON.stringify(SECRET));
    shell('file');
    tmux(
      'send-keys',
      '-t',
      'file',
      `node ${CLI} prove tty-alice --registry ${reg.url} --secret-file ${file}; echo EXIT:$?`,
      'Enter',
    );
    const end = await waitFor('file', /EXIT:\d+/);
    for (let k = 1; k <= ROUNDS; k++) assert.match(end, new RegExp(`round ${k} of ${ROUNDS}`));
    assert.match(end, /PROOF ACCEPTED/);
    assert.match(end, /EXIT:0/);
  });

  test('Ctrl-C mid-ceremony (NO_COLOR): no colour drawn, exit 130, cursor shown again, terminal back in cooked mode', async () => {
    shell('cancel', { NO_COLOR: '1' });
    // stty runs right after prove in the same command line, before the shell's line editor touches the tty.
    tmux(
      'send-keys',
      '-t',
      'cancel',
      `node ${CLI} prove tty-alice --registry ${reg.url}; echo EXIT:$?; stty -a; echo STTY-DONE`,
      'Enter',
    );
    await waitFor('cancel', /round 1 of 4/);
    const drawn = pane('cancel', true);
    assert.doesNotMatch(drawn, /\x1b\[(3\d|38;5;\d+)m/, 'NO_COLOR: no colour escapes');
    assert.match(drawn, /\[2 NE (red|orange|yellow|green|blue|violet): /, 'colour names in text');
    assert.equal(cursorShown('cancel'), false, 'cursor hidden during the ceremony');
    tmux('send-keys', '-t', 'cancel', '3'); // one round answered, then cancelled
    await waitFor('cancel', /round 2 of 4/);
    tmux('send-keys', '-t', 'cancel', 'C-c');
    const end = await waitFor('cancel', /STTY-DONE/);
    assert.match(end, /EXIT:130/);
    assert.doesNotMatch(end, /PROOF (ACCEPTED|REJECTED)/);
    const flags = end.slice(end.indexOf('EXIT:130')).split(/\s+/);
    assert.ok(flags.includes('icanon') && !flags.includes('-icanon'), 'icanon');
    assert.ok(flags.includes('echo') && !flags.includes('-echo'), 'echo');
    assert.ok(cursorShown('cancel'), 'cursor shown');
  });
});
