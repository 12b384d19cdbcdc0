// `enigma-registry prove`: the six-zone ceremony in a terminal (or from a secret file), then the verified receipt.
import { readFileSync } from 'node:fs';
import { parseCommandLine } from './args.js';
import { ProofClient, RegistryError, type Challenge } from '../client/index.js';
import {
  SIXZONE_BEARINGS,
  SIXZONE_COLOURS,
  solveSixzone,
  type Bearing,
  type Colour,
  type SixzoneChallenge,
  type SixzoneRound,
} from '../client/sixzone.js';
import { parseSecretFile } from './circuit-mint.js';

// `enigma-registry prove`: the six-zone ceremony in a terminal, through the SDK. Each round is drawn as
// six zones around a hexagon; every zone carries its number, bearing and colour name in text, so the
// screen reads the same without colour (NO_COLOR, or output that is not a terminal).

const USAGE = `usage: enigma-registry prove HANDLE --registry URL [--secret-file F] [--ledger-url U]
  Fetches a challenge for the circuit HANDLE, runs the ceremony, validates, and prints the outcome and the
  receipt (verified against the registry's /.well-known/jwks.json).
  Each round: find the zone holding the next symbol of your secret and answer the bearing your
  colour→bearing mapping gives for that zone's colour (or that zone's own bearing without a mapping).
  Keys: 1-6 answer a bearing directly (1 N, 2 NE, 3 SE, 4 S, 5 SW, 6 NW); arrow keys move the
  highlight and Enter answers it; Ctrl-C cancels (exit 130).
  --secret-file F   answer automatically (scripts, tests). Same format as circuit mint's: JSON
                    {"symbols","mapping"?}, or text with the symbols on line 1 and optionally the
                    bearings for ${SIXZONE_COLOURS.join(' ')} on line 2.
  --ledger-url U    reserve the nonce at this ledger (must be on the registry's allow-list)
  Exit: 0 accepted, 1 rejected or failed, 2 usage, 130 cancelled.
`;

const ESC = '\x1b[';
const RESET = `${ESC}0m`;
const COLOUR_SGR: Record<Colour, string> = {
  red: '31',
  orange: '38;5;208',
  yellow: '33',
  green: '32',
  blue: '34',
  violet: '35',
};
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const CLEAR = `${ESC}H${ESC}2J`;

export class Cancelled extends Error {}

/** Whether to colour: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export const useColour = (stream: NodeJS.WriteStream, env = process.env): boolean => !!stream.isTTY && !env.NO_COLOR;

const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length;
const pad = (s: string, width: number, align: 'left' | 'right' | 'centre') => {
  const room = Math.max(0, width - visibleLength(s));
  if (align === 'left') return s + ' '.repeat(room);
  if (align === 'right') return ' '.repeat(room) + s;
  return ' '.repeat(room >> 1) + s + ' '.repeat(room - (room >> 1));
};

/**
 * One round as text: the six zones around a hexagon, each `[k BEARING colour: S S S S S S]`, the
 * highlighted one marked with `>` `<` (and reverse video when coloured).
 */
export function renderRound(
  round: SixzoneRound,
  index: number,
  total: number,
  selected: number,
  colour: boolean,
): string {
  const zone = (bearing: Bearing) => {
    const i = SIXZONE_BEARINGS.indexOf(bearing);
    const z = round.zones.find((x) => x.bearing === bearing);
    const text = z ? `${i + 1} ${bearing} ${z.colour}: ${z.symbols.join(' ')}` : `${i + 1} ${bearing} (empty)`;
    const mark = i === selected ? ['>', '<'] : [' ', ' '];
    if (!colour || !z) return `${mark[0]}[${text}]${mark[1]}`;
    const style = i === selected ? `${COLOUR_SGR[z.colour]};1;7` : COLOUR_SGR[z.colour];
    return `${mark[0]}${ESC}${style}m[${text}]${RESET}${mark[1]}`;
  };
  const W = 38;
  const H = 24;
  const line = (l: string, m: string, r: string) =>
    `${pad(l, W, 'right')}${pad(m, H, 'centre')}${pad(r, W, 'left')}`.replace(/\s+$/, '');
  const progress = `round ${index + 1} of ${total}`;
  const rows = [
    `Six-zone ceremony — ${progress}`,
    '',
    line('', zone('N'), ''),
    line('', '   __________   ', ''),
    line(zone('NW'), '  /          \\  ', zone('NE')),
    line('', ` /   ${pad(`${index + 1}/${total}`, 6, 'centre')}   \\ `, ''),
    line('', ' \\            / ', ''),
    line(zone('SW'), '  \\__________/  ', zone('SE')),
    line('', '', ''),
    line('', zone('S'), ''),
    '',
    'Find your symbol, answer your bearing: 1-6, or arrows + Enter. Ctrl-C cancels.',
  ];
  return `${rows.join('\n')}\n`;
}

type Key = 'up' | 'down' | 'left' | 'right' | 'enter' | 'ctrl-c' | `digit${1 | 2 | 3 | 4 | 5 | 6}`;

/** Splits raw terminal input into the keys the ceremony knows; anything else is dropped. */
export function parseKeys(input: string): Key[] {
  const keys: Key[] = [];
  const arrows: Record<string, Key> = { A: 'up', B: 'down', C: 'right', D: 'left' };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\x1b' && (input[i + 1] === '[' || input[i + 1] === 'O') && input[i + 2] !== undefined) {
      const k = arrows[input[i + 2]!];
      if (k) keys.push(k);
      i += 2;
    } else if (ch === '\r' || ch === '\n') keys.push('enter');
    else if (ch === '\x03') keys.push('ctrl-c');
    else if (ch >= '1' && ch <= '6') keys.push(`digit${Number(ch) as 1 | 2 | 3 | 4 | 5 | 6}`);
  }
  return keys;
}

/** Runs the interactive rounds on the terminal; always restores it (raw mode off, cursor shown). */
async function ceremony(ch: SixzoneChallenge, out: NodeJS.WriteStream, colour: boolean): Promise<Bearing[]> {
  const stdin = process.stdin;
  const answers: Bearing[] = [];
  let selected = 0;
  const draw = () =>
    out.write(CLEAR + renderRound(ch.rounds[answers.length]!, answers.length, ch.rounds.length, selected, colour));
  let restore = () => {};
  try {
    return await new Promise<Bearing[]>((resolve, reject) => {
      const onData = (buf: Buffer) => {
        for (const key of parseKeys(buf.toString('utf8'))) {
          if (key === 'ctrl-c') return reject(new Cancelled('cancelled'));
          if (key === 'left' || key === 'up') selected = (selected + 5) % 6;
          else if (key === 'right' || key === 'down') selected = (selected + 1) % 6;
          else {
            answers.push(SIXZONE_BEARINGS[key === 'enter' ? selected : Number(key.slice(5)) - 1]!);
            selected = 0;
            if (answers.length === ch.rounds.length) return resolve(answers);
          }
        }
        draw();
      };
      // A signal from outside (kill) must not leave the terminal raw either.
      const onSignal = () => reject(new Cancelled('cancelled'));
      restore = () => {
        stdin.off('data', onData);
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal).off('exit', restore);
        if (stdin.isTTY) stdin.setRawMode(false);
        stdin.pause();
        out.write(SHOW_CURSOR);
      };
      process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', onSignal).on('exit', restore);
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', onData);
      out.write(HIDE_CURSOR);
      draw();
    });
  } finally {
    restore();
  }
}

/** Whether a --secret-file also holds a colour→bearing mapping (JSON "mapping", or a second line). */
function secretFileHasMapping(text: string): boolean {
  if (text.trimStart().startsWith('{')) return (JSON.parse(text) as { mapping?: unknown }).mapping !== undefined;
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').length > 1;
}

export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    'prove',
    USAGE,
    args,
    { registry: { type: 'string' }, 'secret-file': { type: 'string' }, 'ledger-url': { type: 'string' } },
    true,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const handle = positionals[0];
  if (!handle || positionals.length > 1 || !values.registry) {
    process.stderr.write(`prove: give one HANDLE and --registry URL\n${USAGE}`);
    return 2;
  }
  const out = process.stdout;
  const secretFile = values['secret-file'];
  if (!secretFile && !process.stdin.isTTY) {
    process.stderr.write('prove: the ceremony needs a terminal on stdin; pass --secret-file F to answer from a file\n');
    return 2;
  }
  try {
    let secretText: string | undefined;
    if (secretFile) {
      secretText = readFileSync(secretFile, 'utf8');
      parseSecretFile(secretText, secretFileHasMapping(secretText)); // refuse a bad file before a nonce is reserved
    }
    const client = new ProofClient({ baseUrl: values.registry });
    const ch: Challenge = await client.challenge(handle, {
      ...(values['ledger-url'] !== undefined && { ledgerUrl: values['ledger-url'] }),
      // The registry asks for proof of work while the handle sees wrong answers; say why there is a pause.
      onPowProgress: ({ attempts, difficulty }) => {
        if (attempts === 0)
          out.write(
            `The registry asks for proof of work first (${difficulty} bits; this handle has seen wrong answers). Solving...\n`,
          );
      },
    });
    const rounds = ch.challenge.rounds?.length;
    if (ch.challenge.circuit !== 'sixzone' || !rounds) throw new Error(`circuit ${handle} is not a six-zone circuit`);
    out.write(
      `Challenge ${ch.nonce_uuid} for ${handle} (build ${ch.circuit.build_id}), ${rounds} rounds, expires ${ch.expires_at}\n`,
    );

    let bearings: Bearing[];
    if (secretText !== undefined) {
      bearings = solveSixzone(ch.challenge, parseSecretFile(secretText, secretFileHasMapping(secretText)));
      for (let k = 1; k <= rounds; k++) out.write(`round ${k} of ${rounds}: answered from the secret file\n`);
    } else {
      bearings = await ceremony(ch.challenge, out, useColour(out));
      out.write(`${CLEAR}All ${rounds} rounds answered.\n`);
    }

    out.write('Validating...\n');
    let receipt: string;
    try {
      ({ receipt } = await client.validate(handle, ch, bearings));
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'PROOF_REJECTED') {
        const locked = (e.details as { locked_out?: boolean } | undefined)?.locked_out;
        out.write(
          `PROOF REJECTED: ${e.message}${locked ? ' (this client is now locked out of the handle for a while)' : ''}\n`,
        );
        return 1;
      }
      throw e;
    }
    out.write(`PROOF ACCEPTED\nreceipt: ${receipt}\n`);
    const claims = await client.verifyReceipt(receipt, { handle, nonce: ch.nonce_uuid });
    out.write(
      `receipt verified against ${client.http.url('/.well-known/jwks.json')}: iss ${claims.iss}, sub ${claims.sub}, ` +
        `circuit_sha256 ${claims.circuit_sha256}, nonce ${claims.nonce}, expires ${new Date(claims.exp * 1000).toISOString()}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof Cancelled) {
      out.write('\ncancelled\n');
      return 130;
    }
    process.stderr.write(`prove: ${e instanceof RegistryError ? `${e.code}: ` : ''}${(e as Error).message}\n`);
    return 1;
  }
}
