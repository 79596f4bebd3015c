import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pkg from '../package.json' with { type: 'json' };
import type { CliIo } from './cli/credentials-commands';

// `classify-desk`: the headless command line over the app's services and data dir. Subcommands
// load lazily, so `--help` or `whoami` never pays for sharp or the HTTP client.

export type { CliIo } from './cli/credentials-commands';

export const usage = `Usage: classify-desk <command> [options]

Commands:
  infer <folder|image|https-url>... --model <project/version>
                 classify images with a Roboflow model; results are kept in the app's data dir
  evaluate <folder> --model <project/version> [--labels labels.csv] [--threshold T] [--out report.json]
                 accuracy and confusion matrix against ground truth (class-named subfolders or a CSV);
                 --labels-out labels.csv [--only-confirmed] writes the labels with their source
  models <pull|list|rm> [project/version]
                 download a model to classify on this computer (infer --engine on-device), offline
  send <folder> --project <project> [--only corrected|flagged|mistakes|below-threshold|all|tag:NAME] [--dry-run]
                 send reviewed images and their labels to a Roboflow project, ready to retrain
  login          save an API key in the OS keychain (read from stdin)
  logout         remove the saved API key
  whoami         show which key (last 4 characters) and workspace are in use

Run \`classify-desk <command> --help\` for a command's options.
Environment: ROBOFLOW_API_KEY (API key), CLASSIFY_DESK_HOME (data dir; default: the app's).
Give the key with \`classify-desk login\` or ROBOFLOW_API_KEY rather than --api-key (other users
of the computer can read command lines). Export formats: docs/export-format.md.`;

/** Runs one command line (without the node and script arguments); resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'infer': {
      const { runInferCommand } = await import('./cli/infer-command');
      return runInferCommand(rest, io);
    }
    case 'send': {
      const { runSendCommand } = await import('./cli/send-command');
      return runSendCommand(rest, io);
    }
    case 'login':
    case 'logout':
    case 'whoami': {
      const { runCredentialsCommand } = await import('./cli/credentials-commands');
      return runCredentialsCommand(command, rest, io);
    }
    case 'models': {
      const { runModelsCommand } = await import('./cli/models-commands');
      return runModelsCommand(rest, io);
    }
    case 'evaluate': {
      const { runEvaluate } = await import('./cli/evaluate');
      return runEvaluate(rest, io);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      (command === undefined ? io.stderr : io.stdout).write(usage + '\n');
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v':
      io.stdout.write(`classify-desk ${pkg.version}\n`);
      return 0;
    default:
      io.stderr.write(`classify-desk: unknown command "${command.slice(0, 40)}". Run classify-desk --help.\n`);
      return 2;
  }
}

function isEntry(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  const io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
  // Ctrl-C: every result so far is already journalled, so stopping at once is safe; a rerun resumes.
  process.once('SIGINT', () => {
    process.stderr.write('\nInterrupted; results so far are kept, run the same command again to resume.\n');
    process.exit(130);
  });
  main(process.argv.slice(2), io).then(
    (code) => {
      // Exit explicitly: idle keep-alive sockets would otherwise hold the process for seconds.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    },
    (error: unknown) => {
      process.stderr.write(`classify-desk: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
