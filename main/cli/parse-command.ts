import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './credentials-commands';

// One way for every subcommand to read its arguments: strict flags, a pointer to --help on a bad
// one (exit 2), the usage on --help (exit 0).

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Config<O extends ParseArgsOptionsConfig> = { args: string[]; options: O; allowPositionals: true; strict: true };
export type ParsedCommand<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>;

/** The parsed arguments of `classify-desk <name>`, or the exit code when there is nothing to run. */
export function parseCommand<O extends ParseArgsOptionsConfig & { help: { type: 'boolean' } }>(
  name: string,
  argv: string[],
  options: O,
  usage: string,
  io: CliIo,
): ParsedCommand<O> | { exit: number } {
  let parsed: ParsedCommand<O>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`classify-desk ${name}: ${(error as Error).message}. See classify-desk ${name} --help.\n`);
    return { exit: 2 };
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(usage + '\n');
    return { exit: 0 };
  }
  return parsed;
}
