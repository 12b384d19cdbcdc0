#!/usr/bin/env node
import { version } from '../version.js';

type Command = () => Promise<{ main(args: string[]): Promise<number> }>;

/** `enigma-registry <command> [subcommand] ...`; modules load lazily so `--help` stays instant. */
const COMMANDS: Record<string, Command> = {
  serve: () => import('./serve.js'),
  ledger: () => import('./ledger.js'),
  'circuit publish': () => import('./circuit-publish.js'),
  'circuit list': () => import('./circuit-list.js'),
  'circuit revoke': () => import('./circuit-revoke.js'),
};

const HELP = `enigma-registry ${version}

usage: enigma-registry <command> [options]

commands:
${Object.keys(COMMANDS)
  .map((c) => `  ${c}`)
  .join('\n')}

A bare config path (enigma-registry registry.toml) means \`serve --config registry.toml\`.
Run \`enigma-registry <command> --help\` for a command's options.`;

async function run(argv: string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  if (first === undefined) return (await COMMANDS.serve!()).main([]);
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(HELP);
    return 0;
  }
  if (first === '--version' || first === '-V') {
    console.log(version);
    return 0;
  }
  const two = second !== undefined ? COMMANDS[`${first} ${second}`] : undefined;
  if (two) return (await two()).main(rest);
  const one = COMMANDS[first];
  if (one) return (await one()).main(argv.slice(1));
  // As the Rust binary did: a lone path (or --config) starts the server.
  if (first.startsWith('-') || /\.toml$/i.test(first)) return (await COMMANDS.serve!()).main(argv);
  console.error(`enigma-registry: unknown command "${first}"\n\n${HELP}`);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`enigma-registry: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
