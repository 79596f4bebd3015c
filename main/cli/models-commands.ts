import { parseArgs } from 'node:util';
import { AppFailure, isAppError, type AppError } from '../../app/errors';
import { modelIdPattern, type Settings } from '../../app/settings';
import { createOnDeviceClassifier, type OnDeviceClassifier } from '../services/on-device/classifier';
import { createModelStore, type ModelStore, type PullProgress } from '../services/on-device/model-store';
import { resolveDataDir } from '../services/paths';
import { redactSecrets } from '../services/redact';
import { createSettingsStore } from '../services/settings-store';
import type { CliIo } from './credentials-commands';
import { keychainKeyGate } from './keychain-key';

// `classify-desk models pull | list | rm`: the downloaded copies of models that `infer --engine
// on-device` runs with no key and no network. Exit codes: 0 done; 2 bad arguments or a failed pull
// (bad key, unknown or unsupported model, network), as for infer's systemic errors; 1 `rm` of a
// model that is not downloaded; 130 interrupted.

export const modelsUsage = `Usage: classify-desk models <pull|list|rm> [options]

  models pull <project/version> [--platform-url URL] [--api-key KEY] [--profile P]
                 download a classification model's weights once, for classifying on this computer
                 (infer --engine on-device) with no key and no network afterwards
  models list    the downloaded models: id, classes, size, date, SHA-256
  models rm <project/version>
                 remove a downloaded model

The key for pull is --api-key, else ROBOFLOW_API_KEY, else the key saved by \`classify-desk login\`.
Platform URL: --platform-url, else the app's setting (default https://api.roboflow.com).
Models are kept in the app's data folder (CLASSIFY_DESK_HOME), under models/<project>/<version>.`;

const options = {
  'platform-url': { type: 'string' },
  'api-key': { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const mib = (n: number) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

/** The on-device engine for `infer --engine on-device`, with the downloaded model opened: its
 *  weights' SHA-256 names the results (never an API's). Fails with a clear error when it is not
 *  downloaded. */
export async function openOnDevice(dataDir: string, settings: Settings): Promise<{ device: OnDeviceClassifier; sha256: string }> {
  const device = createOnDeviceClassifier({ store: createModelStore({ dataDir }), poolSize: () => settings.onDeviceWorkers });
  try {
    const { stored } = await device.open(settings.model);
    return { device, sha256: stored.info.sha256 };
  } catch (err) {
    await device.close();
    throw err;
  }
}

export async function runModelsCommand(argv: string[], io: CliIo, store?: ModelStore): Promise<number> {
  const say = (line: string) => io.stderr.write(line + '\n');
  const [sub, ...rest] = argv;
  let values: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; args: string[] }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true }));
  } catch (error) {
    say(`classify-desk models: ${(error as Error).message}. See classify-desk models --help.`);
    return 2;
  }
  if (values.help || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(modelsUsage + '\n');
    return 0;
  }
  const dataDir = resolveDataDir(io.env);
  const models = store ?? createModelStore({ dataDir });
  let secret = values['api-key']?.trim() || io.env.ROBOFLOW_API_KEY?.trim() || '';
  const fail = (error: unknown): number => {
    const e: AppError = error instanceof AppFailure || isAppError(error) ? error : { code: 'internal', message: String((error as Error)?.message ?? error) };
    say(`classify-desk models ${sub}: ${e.code}: ${redactSecrets(e.message, secret ? [secret] : [])}`);
    return 2;
  };
  const oneModel = (): string => {
    if (positionals.length !== 1) throw new AppFailure('invalid_input', `Name one model, e.g. classify-desk models ${sub} cats-vs-dogs/3.`);
    if (!modelIdPattern.test(positionals[0])) throw new AppFailure('invalid_input', `"${positionals[0].slice(0, 80)}" is not project/version, e.g. cats-vs-dogs/3.`);
    return positionals[0];
  };

  try {
    switch (sub) {
      case 'list': {
        const list = await models.list();
        if (!list.length) say('No model is downloaded. Download one with classify-desk models pull <project/version>.');
        for (const m of list) {
          io.stdout.write([m.model, m.multiLabel ? 'multi-label' : 'single-label', m.classes.join(';'), mib(m.size), m.fetchedAt, m.sha256].join('\t') + '\n');
        }
        return 0;
      }
      case 'rm': {
        const model = oneModel();
        if (await models.remove(model)) {
          say(`Removed ${model}.`);
          return 0;
        }
        say(`classify-desk models rm: ${model} is not downloaded.`);
        return 1;
      }
      case 'pull': {
        const model = oneModel();
        const settings = createSettingsStore({ dataDir }).get();
        const platformUrl = values['platform-url']?.trim() || settings.platformApiUrl;
        // As for infer: the keychain is only loaded when no key was given, and its key goes only
        // where it was entered for or to the --platform-url named here.
        if (!secret) {
          const explicitUrls = values['platform-url'] ? [platformUrl] : [];
          secret = await keychainKeyGate({ dataDir, profile: values.profile ?? settings.profile, env: io.env, explicitUrls })(platformUrl);
        }
        let shown = -1;
        const onProgress = (p: PullProgress) => {
          if (p.phase !== 'weights') return;
          const percent = p.total ? Math.floor((p.received / p.total) * 100) : -1;
          if (percent !== shown && (percent % 10 === 0 || percent === -1)) {
            shown = percent;
            say(p.total ? `Downloading ${model}: ${percent}% of ${mib(p.total)}` : `Downloading ${model}: ${mib(p.received)}`);
          }
        };
        const info = await models.pull(model, { platformUrl, apiKey: secret, onProgress });
        say(`Downloaded ${model} (${info.multiLabel ? 'multi-label' : 'single-label'}, ${info.classes.length} classes, ${mib(info.size)}, sha256 ${info.sha256.slice(0, 12)}…).`);
        say(`Classify offline with: classify-desk infer <folder> --model ${model} --engine on-device`);
        return 0;
      }
      default:
        say(sub ? `classify-desk models: unknown subcommand "${sub.slice(0, 40)}". Use pull, list or rm.` : modelsUsage);
        return 2;
    }
  } catch (error) {
    return fail(error);
  }
}
