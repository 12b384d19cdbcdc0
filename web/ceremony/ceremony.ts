// The hosted ceremony page: challenge → one answer per round → validate → outcome (and receipt delivery).
// Configuration comes from data attributes the server filled in (handle, allow-listed relying party).
// The SDK's proof module directly rather than its index: the page needs no directory code.
import { RegistryError } from '../../src/client/errors.js';
import { ProofClient, type Challenge } from '../../src/client/proof.js';
import { SIXZONE_BEARINGS, type Bearing } from '../../src/client/sixzone.js';
import { deliverReceipt } from './deliver.js';
import { createBoard } from './hexagon.js';

const root = document.getElementById('ceremony')!;
const handle = root.dataset.handle!;
const relyingParty = {
  returnTo: root.dataset.returnTo || undefined,
  openerOrigin: root.dataset.openerOrigin || undefined,
};

const status = document.getElementById('status')!;
const progress = document.getElementById('progress') as HTMLProgressElement;
const outcome = document.getElementById('outcome')!;
const boardHost = document.getElementById('board')!;
const client = new ProofClient({ baseUrl: location.origin });

/** Plain-language outcome for the registry's error codes; the server's message follows it. */
const EXPLAIN: Record<string, string> = {
  PROOF_REJECTED: 'The answers did not match.',
  RATE_LIMITED: 'Too many attempts for this circuit.',
  EXPIRED: 'The challenge expired before it was answered.',
  REPLAY: 'This challenge was already answered.',
  FORBIDDEN: 'This circuit has been revoked.',
  NOT_FOUND: 'The circuit or challenge is unknown.',
  NETWORK: 'The registry could not be reached.',
};

let current: Challenge | undefined;
let answers: Bearing[] = [];
let busy = true;

const board = createBoard((zone) => answer(zone));
boardHost.append(board.svg);

function say(text: string): void {
  status.textContent = text;
}

function showRound(): void {
  const rounds = current!.challenge.rounds;
  const k = answers.length;
  board.show(rounds[k]!);
  progress.max = rounds.length;
  progress.value = k;
  say(`Round ${k + 1} of ${rounds.length}`);
}

function answer(zone: number): void {
  if (busy || !current) return;
  // Zone i sits at bearing i in every round (board.show checked it).
  answers.push(SIXZONE_BEARINGS[zone]!);
  if (answers.length < current.challenge.rounds.length) showRound();
  else void finish(current);
}

function setBusy(b: boolean): void {
  busy = b;
  board.setDisabled(b);
  root.setAttribute('aria-busy', String(b));
}

function showOutcome(kind: 'success' | 'failure', title: string, lines: string[], extra?: HTMLElement): void {
  boardHost.hidden = true;
  outcome.hidden = false;
  outcome.className = `outcome ${kind}`;
  const h = document.createElement('h2');
  h.textContent = title;
  h.tabIndex = -1;
  outcome.replaceChildren(
    h,
    ...lines.map((t) => Object.assign(document.createElement('p'), { textContent: t })),
    ...(extra ? [extra] : []),
  );
  h.focus();
}

async function finish(ch: Challenge): Promise<void> {
  setBusy(true);
  progress.value = progress.max;
  say('Checking your answers…');
  try {
    const { receipt } = await client.validate(handle, ch, answers);
    const box = Object.assign(document.createElement('textarea'), {
      id: 'receipt',
      readOnly: true,
      rows: 6,
      value: receipt,
    });
    box.setAttribute('aria-label', 'Receipt (signed JWS)');
    const delivered = deliverReceipt(receipt, relyingParty);
    say('Verified.');
    showOutcome(
      'success',
      'Verified',
      ['The registry accepted your answers and signed this receipt.', ...(delivered ? [delivered] : [])],
      box,
    );
  } catch (e) {
    fail(e);
  }
}

function fail(e: unknown): void {
  const err =
    e instanceof RegistryError ? e : new RegistryError('INTERNAL', e instanceof Error ? e.message : String(e));
  const why = EXPLAIN[err.code] ?? 'The ceremony failed.';
  const wait = err.retryAfterSeconds ? ` Try again in ${err.retryAfterSeconds} s.` : '';
  say(`Not verified. ${why}${wait}`);
  const again = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Try again' });
  again.addEventListener('click', () => void start());
  showOutcome('failure', 'Not verified', [why + wait, `${err.code}: ${err.message}`], again);
  outcome.setAttribute('role', 'alert');
}

async function start(): Promise<void> {
  setBusy(true);
  outcome.hidden = true;
  outcome.removeAttribute('role');
  boardHost.hidden = false;
  say('Requesting a challenge…');
  answers = [];
  try {
    // While the circuit sees wrong answers the registry asks for proof of work: solved off the page's thread.
    current = await client.challenge(handle, {
      onPowProgress: ({ attempts, expected }) => {
        say('Proving this request is not automated guessing… (this handle has seen wrong answers)');
        progress.max = expected;
        progress.value = Math.min(attempts, expected);
      },
    });
  } catch (e) {
    fail(e);
    return;
  }
  showRound();
  setBusy(false);
}

// Digits answer from anywhere on the page; arrows and Enter work on the focused zone (see hexagon.ts).
document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || !/^[1-6]$/.test(e.key)) return;
  e.preventDefault();
  answer(Number(e.key) - 1);
});

void start();
