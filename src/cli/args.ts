import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP }>>['values'];

/**
 * Parses a command's options plus -h/--help. Returns the values, or the exit code when the command is
 * already done: 0 after printing `usage` for --help, 2 after printing the parse error and `usage`.
 */
export function parseCommandArgs<O extends Options>(command: string, usage: string, args: string[], options: O): Values<O> | number {
  let values;
  try {
    // Parsed untyped here; the caller gets the types parseArgs gives its own options (the cast below).
    ({ values } = parseArgs({ args, options: { ...options, ...HELP } as Options }));
  } catch (e) {
    process.stderr.write(`${command}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  return values as Values<O>;
}
