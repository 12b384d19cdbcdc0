#!/usr/bin/env node
// The `enigma-registry` executable: its subcommands, dispatch to each (loaded lazily), help and version.
import '../http/tick-object-pin.js'; // first: before any module load can run a full GC
import { version } from '../version.js';

interface Command {
  summary: string;
  load: () => Promise<{ main(args: string[]): Promise<number> }>;
}

/** `enigma-registry <command> [subcommand] ...`; modules load lazily so `--help` stays instant. */
const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the registry (the default)', load: () => import('./serve.js') },
  ledger: { summary: 'run the nonce ledger alone as an HTTP service', load: () => import('./ledger.js') },
  'keys gen': {
    summary: 'create operator keys (envelope, circuit sealing, receipts, publisher)',
    load: () => import('./keys.js'),
  },
  'circuit mint': {
    summary: 'mint a sixzone circuit for a person (secret sealed to the registry)',
    load: () => import('./circuit-mint.js'),
  },
  'circuit publish': { summary: 'publish minted circuits to a registry', load: () => import('./circuit-publish.js') },
  'circuit list': { summary: "list a registry's circuits", load: () => import('./circuit-list.js') },
  'circuit revoke': { summary: 'revoke a build by SHA-256', load: () => import('./circuit-revoke.js') },
  prove: {
    summary: 'run the six-zone ceremony in the terminal and print the receipt',
    load: () => import('./prove.js'),
  },
  register: {
    summary: 'register a new identity in the node directory',
    load: () => import('./directory.js').then((m) => ({ main: m.register })),
  },
  resolve: {
    summary: 'resolve a handle and print the opened identity',
    load: () => import('./directory.js').then((m) => ({ main: m.resolve })),
  },
  'check-user': {
    summary: 'whether a handle is registered',
    load: () => import('./directory.js').then((m) => ({ main: m.checkUser })),
  },
  'analyze observation': {
    summary: 'how many watched ceremonies reveal a secret; what online guessing costs',
    load: () => import('./analyze.js'),
  },
};

const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
const listing = (entries: [string, Command][]) =>
  entries.map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n');
const HELP = `enigma-registry ${version}

usage: enigma-registry <command> [options]

commands:
${listing(Object.entries(COMMANDS))}

A bare config path (enigma-registry registry.toml) means \`serve --config registry.toml\`.
Run \`enigma-registry <command> --help\` for a command's options.`;

async function run(argv: string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  if (first === undefined) return (await COMMANDS.serve!.load()).main([]);
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(HELP);
    return 0;
  }
  if (first === '--version' || first === '-V') {
    console.log(version);
    return 0;
  }
  const two = second !== undefined ? COMMANDS[`${first} ${second}`] : undefined;
  if (two) return (await two.load()).main(rest);
  const one = COMMANDS[first];
  if (one) return (await one.load()).main(argv.slice(1));
  // A command group (`keys`, `circuit`) without a known subcommand: list the group's subcommands.
  const group = Object.entries(COMMANDS).filter(([name]) => name.startsWith(`${first} `));
  if (group.length > 0) {
    const help = `usage: enigma-registry ${first} <subcommand> [options]\n\nsubcommands:\n${listing(group)}\n\nRun \`enigma-registry ${first} <subcommand> --help\` for its options.`;
    if (second === '--help' || second === '-h' || second === 'help') {
      console.log(help);
      return 0;
    }
    console.error(
      `enigma-registry: ${second === undefined ? `"${first}" needs a subcommand` : `unknown subcommand "${first} ${second}"`}\n\n${help}`,
    );
    return 2;
  }
  // As the Rust binary did: a lone path (or --config) starts the server.
  if (first.startsWith('-') || /\.toml$/i.test(first)) return (await COMMANDS.serve!.load()).main(argv);
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
