// Command-line parsing shared by every subcommand: options, -h/--help, and the exit codes for both.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP }>>['values'];

/**
 * Parses a command's options plus -h/--help (and, with `allowPositionals`, its operands). Returns them, or the
 * exit code when the command is already done: 0 after printing `usage` for --help, 2 after printing the parse
 * error and `usage`.
 */
export function parseCommandLine<O extends Options>(
  command: string,
  usage: string,
  args: string[],
  options: O,
  allowPositionals = false,
): { values: Values<O>; positionals: string[] } | number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    // Parsed untyped here; the caller gets the types parseArgs gives its own options (the cast below).
    parsed = parseArgs({ args, allowPositionals, options: { ...options, ...HELP } as Options });
  } catch (e) {
    process.stderr.write(`${command}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(usage);
    return 0;
  }
  return { values: parsed.values as Values<O>, positionals: parsed.positionals };
}

/** parseCommandLine for a command that takes options only. */
export function parseCommandArgs<O extends Options>(
  command: string,
  usage: string,
  args: string[],
  options: O,
): Values<O> | number {
  const parsed = parseCommandLine(command, usage, args, options);
  return typeof parsed === 'number' ? parsed : parsed.values;
}
