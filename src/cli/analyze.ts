// `enigma-registry analyze observation`: the observing and active attackers' odds against sixzone, as tables or JSON.
import { randomBytes } from 'node:crypto';
import { activeEstimate } from '../analysis/active.js';
import { activeParamsFromProof, proofDefaults, type ProofConfig } from '../analysis/active-config.js';
import { simulateObservation, type ObservationResult } from '../analysis/observation.js';
import { SIXZONE_SECRET_MAX, SIXZONE_SECRET_MIN } from '../client/sixzone.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { parseCommandArgs } from './args.js';

const USAGE = `usage: enigma-registry analyze observation [--rounds 12] [--length 4,6,8] [--mapping] [--trials 200]
         [--sessions 20] [--seed S] [--config registry.toml] [--addresses 1] [--json]
Simulates someone who watches six-zone ceremonies (grid and answers) against the sixzone circuit's own
deal: random secrets, random challenge seeds, and the exact set of (secret, mapping) candidates consistent
with everything watched. Prints, per number k of watched sessions, the median number of candidates left and
the chance to pass the next ceremony: answering as a random remaining candidate would, and giving the answer
most candidates give (an upper bound, marked "<=", where they are too many to list). Then the active
attacker, who sees only rejections, at the guessing budget of the configuration.
  --rounds N     rounds per ceremony (1-64, as minted; default 12)
  --length L,..  secret lengths to analyse, a list and/or ranges such as 4..8 (${SIXZONE_SECRET_MIN}-${SIXZONE_SECRET_MAX}; default 4,6,8)
  --mapping      secrets with a colour→bearing mapping (default: without)
  --trials N     random secrets per length (default 200)
  --sessions K   the last k to report (default 20; stops earlier once every trial is down to its secret)
  --seed S       any text; the same seed gives the same figures (default: random, printed)
  --config F     the registry's config file, for its [proof] guessing budget (default: the schema's defaults)
  --addresses A  client addresses the active attacker guesses from (default 1; each adds 3600/lockout_seconds an hour)
  --json         one JSON document instead of tables
`;

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer ${min}-${max} (got ${JSON.stringify(text)})`);
  return n;
}

class UsageError extends Error {}

/** Progress on stderr: a redrawn bar on a terminal, a line per 10 % otherwise. */
function progress(total: number): { tick(label: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  let done = 0;
  let shown = -1;
  let last = 0;
  return {
    tick(label) {
      done++;
      const pct = Math.floor((100 * done) / total);
      if (tty) {
        const now = Date.now();
        if (now - last < 100 && done < total) return;
        last = now;
        const bar = '#'.repeat(Math.round(pct / 5)).padEnd(20);
        process.stderr.write(`\ranalyze [${bar}] ${String(pct).padStart(3)}%  ${label}\x1b[K`);
      } else if (pct >= shown + 10 || done === total) {
        shown = pct - (pct % 10);
        process.stderr.write(`analyze: ${pct}%\n`);
      }
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

const describeMode = (mapping: boolean) => (mapping ? 'with mapping' : 'no mapping');

function fmtCount(n: number): string {
  if (n < 1e6) return Number.isInteger(n) ? String(n) : n.toFixed(1);
  return n.toExponential(2).replace('e+', 'e');
}

function fmtProb(p: number): string {
  if (p === 0) return '0';
  if (p >= 0.001) return `${(100 * p).toPrecision(3)}%`;
  return p.toExponential(2);
}

function fmtHours(h: number): string {
  if (h < 1) return `${(h * 60).toPrecision(3)} min`;
  if (h < 48) return `${h.toPrecision(3)} h`;
  if (h < 24 * 730) return `${(h / 24).toPrecision(3)} days`;
  return `${(h / (24 * 365.25)).toPrecision(3)} years`.replace(/e\+(\d+)/, 'e$1');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function observationText(r: ObservationResult): string {
  const head = `secret length ${r.length}, ${describeMode(r.mapping)} (${fmtCount(Number(r.candidates_before))} candidates before watching)`;
  const rows = r.rows.map((row) => [
    String(row.k),
    fmtCount(row.median_candidates),
    fmtProb(row.pass_probability),
    `${row.best_answer_exact ? '' : '<= '}${fmtProb(row.best_answer)}`,
  ]);
  const end =
    r.identified_at === null
      ? `not every trial was down to its secret after ${r.rows.length - 1} sessions`
      : `every trial was down to its one true secret${r.mapping ? ' and mapping' : ''} after ${r.identified_at} sessions`;
  return `${head}\n${table(['k', 'median candidates', 'P(pass) as a candidate', 'P(pass) best answer'], rows)}\n${end}\n`;
}

export async function main(args: string[]): Promise<number> {
  const values = parseCommandArgs('analyze observation', USAGE, args, {
    rounds: { type: 'string' },
    length: { type: 'string' },
    mapping: { type: 'boolean', default: false },
    trials: { type: 'string' },
    sessions: { type: 'string' },
    seed: { type: 'string' },
    config: { type: 'string' },
    addresses: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (typeof values === 'number') return values;
  let rounds: number, trials: number, sessions: number, addresses: number, lengths: number[], proof: ProofConfig;
  try {
    rounds = integer('rounds', values.rounds, 12, 1, 64);
    trials = integer('trials', values.trials, 200, 1, 1_000_000);
    sessions = integer('sessions', values.sessions, 20, 0, 1000);
    addresses = integer('addresses', values.addresses, 1, 1, 1_000_000_000);
    lengths = (values.length ?? '4,6,8').split(',').flatMap((part) => {
      const [from, to = from] = part
        .trim()
        .split('..')
        .map((l) => integer('length', l, 0, SIXZONE_SECRET_MIN, SIXZONE_SECRET_MAX));
      if (to! < from!) throw new UsageError(`--length range ${part} is empty`);
      return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
    });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`analyze observation: ${e.message}\n${USAGE}`);
    return 2;
  }
  try {
    proof = values.config === undefined ? proofDefaults() : loadConfigFile(values.config).proof;
  } catch (e) {
    if (!(e instanceof ConfigError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
    process.stderr.write(`analyze observation: ${values.config}: ${(e as Error).message}\n`);
    return 1;
  }
  const seed = values.seed ?? randomBytes(8).toString('hex');
  const mapping = values.mapping;

  const bar = progress(trials * lengths.length);
  const results = lengths.map((length) =>
    simulateObservation({
      rounds,
      length,
      mapping,
      trials,
      sessions,
      seed,
      onTrial: () => bar.tick(`length ${length}, ${describeMode(mapping)}`),
    }),
  );
  bar.done();

  const params = activeParamsFromProof(proof, addresses);
  // Two guessers: the one giving the most common answer (exact without a mapping; with one, an upper bound,
  // since nothing watched leaves too many candidates to list), and one answering as a random candidate would.
  const active = results.flatMap((r) => {
    const row = r.rows[0]!;
    return [
      {
        strategy: 'best_answer',
        label: row.best_answer_exact ? 'best answer' : 'best answer <=',
        exact: row.best_answer_exact,
        p: row.best_answer,
      },
      { strategy: 'random_candidate', label: 'random candidate', exact: true, p: row.pass_probability },
    ].map(({ p, ...g }) => ({ length: r.length, mapping: r.mapping, ...g, ...activeEstimate(p, params) }));
  });
  const counting =
    'exact: per secret position the set of symbols still possible, under each mapping hypothesis (1 without a mapping, 720 with); no sampling of candidates';

  if (values.json) {
    const observation = results.map((r) => ({ ...r, candidates_before: r.candidates_before.toString() }));
    const doc = {
      analysis: 'observation',
      seed,
      rounds,
      trials,
      sessions,
      counting,
      observation,
      active: {
        params: { guesses_per_hour: params.guessesPerHour, pow_hashes_per_guess: params.powHashesPerGuess },
        assumptions: params.assumptions,
        rows: active.map(({ label: _, ...row }) => row),
      },
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  const out = [
    `sixzone observation attack: ${rounds} rounds, ${trials} trials per length, seed ${JSON.stringify(seed)}`,
    `counting: ${counting}`,
    'k = ceremonies watched (grid and answers); P(pass) as a candidate = share of the remaining candidates that',
    'answer the next ceremony right (averaged over trials); best answer = share giving the most common answer',
    '(what an observer answering with it passes with); "<=" marks an upper bound where the candidates were too',
    'many to list.',
    '',
    ...results.map(observationText),
    `active attacker (sees only rejections): ${params.guessesPerHour} guesses per hour per handle`,
    ...params.assumptions.map((a) => `  assumed: ${a}`),
    table(
      ['length', 'mapping', 'guesser', 'P(pass) per guess', 'expected guesses', 'expected time', '50% chance needs >='],
      active.map((a) => [
        String(a.length),
        a.mapping ? 'yes' : 'no',
        a.label,
        fmtProb(a.pass_per_guess),
        a.expected_guesses.toPrecision(3).replace('e+', 'e'),
        fmtHours(a.expected_hours),
        fmtHours(a.half_chance_hours),
      ]),
    ),
    '',
  ];
  process.stdout.write(out.join('\n'));
  return 0;
}
