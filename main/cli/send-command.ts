import fs from 'node:fs/promises';
import path from 'node:path';
import {
  defaultBatchName,
  labelSources,
  modelTag,
  sendPresets,
  splits,
  type LabelSource,
  type SendPreset,
  type SendRequest,
  type Split,
} from '../../app/dataset-send';
import { AppFailure, isAppError } from '../../app/errors';
import { tagSelector, tagTextProblem } from '../../app/annotations';
import { plural } from '../../app/format';
import { modelIdPattern, normaliseSettings, type Settings } from '../../app/settings';
import { createCorrections } from '../services/corrections';
import { createDatasetUpload } from '../services/dataset-upload';
import { createDatasetClient } from '../services/dataset-upload-client';
import { createSentJournals } from '../services/dataset-upload-journal';
import { resolveDataDir } from '../services/paths';
import { redactSecrets } from '../services/redact';
import { createResultsStore } from '../services/results';
import { createSettingsStore } from '../services/settings-store';
import { buildCliLibrary } from './cli-library';
import type { CliIo } from './credentials-commands';
import { parseCommand } from './parse-command';
import { keychainKeyGate } from './keychain-key';
import { endpointFor } from './infer-command';
import { createProgressOutput } from './progress-output';

// `classify-desk send`: the app's send service over one folder, with the app's data dir, so the
// corrections made in the app, the results `infer` stored and the journal of what was already
// sent are the same ones the app uses. Exit codes as for infer: 0 everything chosen is in the
// project, 1 some images failed (listed), 2 bad arguments or a systemic error (one line).

export const sendUsage = `Usage: classify-desk send <folder> --project <project> [options]

Sends images of the folder and their labels to a Roboflow project, ready to retrain: by default
the images whose label you corrected in Classify Desk, with the corrected label. Images already
sent with the same label are skipped, so running it again sends only what is new or changed.

Options:
  --project P          the Roboflow project (default: the project of --model)
  --only WHICH         corrected (default) | flagged | mistakes | below-threshold | all | tag:NAME
                       (tag:NAME = the images you tagged NAME in Classify Desk)
  --image-tags         also send each image's own tags (from Classify Desk) as upload tags
  --labels SOURCE      where labels may come from: corrections (default); truth = corrections, else
                       the class-named folder or --labels-csv (as evaluate reads them); predictions =
                       also the model's prediction at the threshold. Images without a label are skipped.
  --split S            train (default) | valid | test
  --batch NAME         batch name (default "Classify Desk <date>")
  --tag T              a tag (repeatable; default the model id with "/" -> "-"); 1-64 characters of
                       letters, digits, space and - _ : . [ ] < > { } @
  --map LABEL=CLASS    send LABEL as the project's CLASS; --map LABEL= skips images labelled LABEL
  --model P/V          the model whose results give predictions, mistakes and below-threshold
                       (default: the app's model setting)
  --threshold T        confidence 0-1 for predictions and below-threshold (default: the app's)
  --labels-csv FILE    ground truth from a CSV of path,label rows instead of folder names
  --api-url URL        the inference endpoint the results came from (default: the app's)
  --platform-url URL   Roboflow's API (default: ROBOFLOW_PLATFORM_URL, else https://api.roboflow.com)
  --api-key KEY        API key (else env ROBOFLOW_API_KEY, else the key saved by \`classify-desk login\`)
  --profile P          keychain profile to read the key from
  --no-recursive       only the top level of the folder
  --dry-run            check the project and print what would be sent (path, labels, source); send nothing
  -h, --help           this help

Exit codes: 0 every chosen image with a label is in the project; 1 some images failed (each
listed with its error code); 2 bad arguments or a systemic error (bad key, unknown project,
locked workspace).`;

const options = {
  project: { type: 'string' },
  only: { type: 'string', default: 'corrected' },
  labels: { type: 'string', default: 'corrections' },
  split: { type: 'string', default: 'train' },
  batch: { type: 'string' },
  tag: { type: 'string', multiple: true },
  map: { type: 'string', multiple: true },
  model: { type: 'string' },
  threshold: { type: 'string' },
  'labels-csv': { type: 'string' },
  'api-url': { type: 'string' },
  'platform-url': { type: 'string' },
  'api-key': { type: 'string' },
  profile: { type: 'string' },
  'no-recursive': { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'image-tags': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const bad = (message: string) => new AppFailure('invalid_input', message);

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw bad(`--${flag} must be one of ${allowed.join(', ')} (got "${value}").`);
  return value as T;
}

/** `--only`: a preset, or `tag:NAME` (every image carrying the tag). */
function onlyOption(value: string): { only: SendPreset; tag?: string } {
  const tag = tagSelector(value);
  if (tag === null) return { only: oneOf<SendPreset>(value, sendPresets, 'only') };
  const problem = tagTextProblem(tag);
  if (problem) throw bad(`--only "${value.slice(0, 80)}": ${problem}`);
  return { only: 'all', tag };
}

function parseMap(entries: readonly string[]): Record<string, string | null> {
  const map: Record<string, string | null> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw bad(`--map "${entry}" must be LABEL=CLASS (or LABEL= to skip images labelled LABEL).`);
    const target = entry.slice(eq + 1).trim();
    map[entry.slice(0, eq).trim()] = target === '' ? null : target;
  }
  return map;
}

/** Runs `classify-desk send`; resolves to the exit code. */
export async function runSendCommand(argv: string[], io: CliIo): Promise<number> {
  const say = (line: string) => io.stderr.write(line + '\n');
  const parsed = parseCommand('send', argv, options, sendUsage, io);
  if ('exit' in parsed) return parsed.exit;
  const { values, positionals } = parsed;
  let secret = values['api-key']?.trim() || io.env.ROBOFLOW_API_KEY?.trim() || undefined;
  const fail = (error: unknown): number => {
    const message = error instanceof AppFailure || isAppError(error) ? error.message : String((error as Error)?.message ?? error);
    say(`classify-desk send: ${redactSecrets(message, secret ? [secret] : [])}`);
    return 2;
  };

  const dataDir = resolveDataDir(io.env);
  let settings: Settings;
  let folder: string;
  let request: Omit<SendRequest, 'folderId'>;
  try {
    if (positionals.length !== 1) throw bad('Name exactly one folder to send from. See classify-desk send --help.');
    folder = path.resolve(positionals[0]);
    if (!(await fs.stat(folder).catch(() => null))?.isDirectory()) throw bad(`"${positionals[0]}" is not a folder.`);
    const stored = createSettingsStore({ dataDir }).get();
    const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
    if (threshold !== undefined && (values.threshold?.trim() === '' || !(threshold >= 0 && threshold <= 1))) throw bad('--threshold must be a number from 0 to 1.');
    const platform = values['platform-url'] ?? io.env.ROBOFLOW_PLATFORM_URL?.trim();
    if (platform !== undefined && !/^https?:\/\/[^/?#]+/i.test(platform)) throw bad(`--platform-url "${platform}" is not an http(s) URL.`);
    settings = normaliseSettings({
      ...stored,
      ...(values['api-url'] ? endpointFor(values['api-url']) : {}),
      ...(platform ? { platformApiUrl: platform } : {}),
      model: values.model ?? stored.model,
      threshold: threshold ?? stored.threshold,
      profile: values.profile ?? stored.profile,
    });
    if (values.model !== undefined && !modelIdPattern.test(values.model)) throw bad(`--model "${values.model}" is not project/version, e.g. cats-vs-dogs/3.`);
    const project = values.project ?? (modelIdPattern.test(settings.model) ? settings.model.split('/')[0] : undefined);
    if (!project) throw bad('Give the Roboflow project with --project (or a model with --model, whose project is used).');
    request = {
      project,
      ...onlyOption(values.only),
      imageTags: values['image-tags'] || undefined,
      labels: oneOf<LabelSource>(values.labels, labelSources, 'labels'),
      split: oneOf<Split>(values.split, splits, 'split'),
      batch: values.batch ?? defaultBatchName(new Date()),
      tags: values.tag ?? (settings.model ? [modelTag(settings.model)] : []),
      model: settings.model || undefined,
      threshold: settings.threshold,
      labelsPath: values['labels-csv'] ? path.resolve(values['labels-csv']) : undefined,
      classMap: parseMap(values.map ?? []),
    };
  } catch (error) {
    return fail(error);
  }

  let library;
  try {
    library = await buildCliLibrary([folder], !values['no-recursive']);
  } catch (error) {
    return fail(error);
  }
  for (const warning of library.warnings) say(`warning: ${warning}`);
  const folderId = library.folders[0].info.folderId;

  // The keychain's key goes only where it was entered for, or to a --platform-url named here.
  const explicitUrls = values['platform-url'] ? [values['platform-url']] : [];
  const keychainKey = keychainKeyGate({ dataDir, profile: settings.profile, env: io.env, explicitUrls });
  const getApiKey = async (platformUrl: string): Promise<string> => {
    if (!secret) secret = await keychainKey(platformUrl);
    return secret;
  };

  const results = createResultsStore({ dataDir, settings: { get: () => settings } });
  const corrections = createCorrections({ dataDir });
  const progress = createProgressOutput(io.stderr as NodeJS.WritableStream & { isTTY?: boolean });
  const service = createDatasetUpload({
    library,
    results,
    corrections,
    settings: { get: () => settings },
    journals: createSentJournals({ dataDir }),
    client: createDatasetClient({ timeoutMs: Math.max(settings.timeoutMs, 60_000) }),
    getApiKey,
    emit: (p) =>
      progress.update(
        { jobId: p.sendId, folderId: p.folderId, model: settings.model, state: p.state, total: p.total, done: p.done, failed: p.failed, skipped: p.skipped, inFlight: p.inFlight, rate: 0, etaSeconds: null },
        `Sending to ${p.project}`,
      ),
  });
  try {
    const full: SendRequest = { ...request, folderId };
    const plan = await service.plan(full);
    if (plan.problem) return fail(plan.problem);
    if (plan.unknown.length > 0) {
      say(`These labels are not classes of "${plan.project}" (${(plan.classes ?? []).join(', ')}):`);
      for (const u of plan.unknown) say(`  ${u.label}: ${plural(u.count, 'image')}`);
      say('Map each with --map "LABEL=CLASS", or skip its images with --map "LABEL=".');
      return 2;
    }
    const counts = [
      plan.alreadySent ? `${plural(plan.alreadySent, 'image')} already sent` : '',
      plan.noLabel ? `${plural(plan.noLabel, 'image')} without a label from ${request.labels} (skipped)` : '',
      plan.skippedByMap ? `${plural(plan.skippedByMap, 'image')} skipped by --map` : '',
    ].filter(Boolean);
    if (values['dry-run']) {
      for (const item of plan.items) io.stdout.write(`${item.id}\t${item.labels.join(';')}\t${item.origin}\n`);
      say(`Would send ${plural(plan.items.length, 'image')} to ${plan.workspace}/${plan.project} (split ${request.split}, batch "${request.batch}"${request.tags.length ? `, tags ${request.tags.join(', ')}` : ''})${counts.length ? `; ${counts.join(', ')}` : ''}.`);
      return 0;
    }
    const started = await service.start(full);
    const final = await service.wait(started.sendId);
    progress.finish();
    if (final.state === 'stopped') return fail(final.error ?? bad('The send stopped.'));
    const extra = [
      final.duplicates ? `${final.duplicates} the project already had` : '',
      final.kept ? `${final.kept} kept the project's own label` : '',
    ].filter(Boolean);
    say(`Sent ${plural(final.done, 'image')} to ${plan.workspace}/${plan.project}${extra.length ? ` (${extra.join(', ')})` : ''}${counts.length ? `; ${counts.join(', ')}` : ''}.`);
    if (final.failed > 0) {
      say(`${plural(final.failed, 'image')} failed (run the same command again to retry them):`);
      for (const f of final.failures) say(`  ${f.id}: ${f.error.code}: ${redactSecrets(f.error.message, secret ? [secret] : [])}`);
      return 1;
    }
    return 0;
  } catch (error) {
    progress.finish();
    return fail(error);
  } finally {
    await service.close();
    await corrections.close();
    await results.close();
  }
}
