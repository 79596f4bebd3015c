import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isAppError } from '../../app/errors';
import { isHttpBaseUrl } from '../../app/settings';
import type { CredentialStatus } from '../../app/types';
import { createCredentials, type CredentialsService } from '../services/credentials';
import { checkKeyAtEndpoint } from '../services/endpoint-status';
import { keychainRemedy } from '../services/keychain';
import { resolveDataDir } from '../services/paths';
import { createPlatformClient } from '../services/platform';
import { redactSecrets } from '../services/redact';
import { createSettingsStore } from '../services/settings-store';
import { readSecret } from './read-secret';

// `classify-desk login | logout | whoami`. The key comes in on stdin only (never argv, which other
// users can read in the process list), is stored in the OS keychain, and leaves as `••••last4`.
// Profile: --profile, else the settings' profile. Two URLs, named as everywhere in the CLI:
// --api-url is the inference endpoint (as for `infer`), --platform-url the platform API (else
// ROBOFLOW_PLATFORM_URL, else the settings' platformApiUrl, default https://api.roboflow.com).
// `login` binds the key to Roboflow's origins plus the URLs given with it: the key is sent nowhere
// else unless entered again for another server. `whoami --api-url` asks that inference server
// whether it accepts the key; otherwise whoami names the key's workspace from the platform API.
// Exit codes: 0 done, 1 failed (bad input, rejected key), 2 no keychain, 130 interrupted.

export type CredentialsCommand = 'login' | 'logout' | 'whoami';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const usage: Record<CredentialsCommand, string> = {
  login:
    'Usage: classify-desk login [--profile P] [--api-url INFERENCE_URL] [--platform-url PLATFORM_URL]   (reads the API key from stdin; no echo on a terminal; the key is used only with Roboflow and the URLs given)',
  logout: 'Usage: classify-desk logout [--profile P]',
  whoami: 'Usage: classify-desk whoami [--profile P] [--api-url INFERENCE_URL] [--platform-url PLATFORM_URL]',
};

const masked = (status: CredentialStatus) => (status.last4 ? `••••${status.last4}` : '••••');

/** One line for a terminal: the cause, and what to do about it from the command line. */
function noKeychain(status: CredentialStatus): string {
  const cause = (status.problem ?? '').replace(keychainRemedy, '').trim();
  return `No system keychain is available${cause ? ` (${cause.replace(/\.$/, '')})` : ''}. Install and unlock GNOME Keyring or KWallet, or give \`infer\` the key with --api-key or ROBOFLOW_API_KEY.`;
}

/** Runs one credentials subcommand; resolves to the process exit code and never throws. */
export async function runCredentialsCommand(cmd: CredentialsCommand, argv: string[], io: CliIo): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const complain = (line: string) => io.stderr.write(`classify-desk ${cmd}: ${redactSecrets(line)}\n`);

  let args: { profile?: string; apiUrl?: string; platformUrl?: string };
  try {
    const options: ParseArgsConfig['options'] = { profile: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
    if (cmd !== 'logout') Object.assign(options, { 'api-url': { type: 'string' }, 'platform-url': { type: 'string' } });
    const { values } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      say(usage[cmd]);
      return 0;
    }
    const url = (name: 'api-url' | 'platform-url'): string | undefined => {
      const value = (values as Record<string, string | boolean | undefined>)[name];
      if (typeof value !== 'string') return undefined;
      const trimmed = value.trim().replace(/\/+$/, '');
      if (!isHttpBaseUrl(trimmed)) throw new Error(`--${name} must be an http:// or https:// address (no user name, query or fragment), not "${value.slice(0, 100)}".`);
      return trimmed;
    };
    args = { profile: typeof values.profile === 'string' ? values.profile : undefined, apiUrl: url('api-url'), platformUrl: url('platform-url') };
  } catch (error) {
    complain(`${error instanceof Error ? error.message : String(error)}\n${usage[cmd]}`);
    return 1;
  }

  const store = createSettingsStore({ dataDir: resolveDataDir(io.env) });
  const settings = store.get();
  const profile = args.profile?.trim() || settings.profile;
  const envPlatform = io.env.ROBOFLOW_PLATFORM_URL?.trim() || undefined;
  const baseUrl = args.platformUrl || envPlatform || settings.platformApiUrl;
  const given = [args.apiUrl, args.platformUrl].filter((u): u is string => !!u);
  // ROBOFLOW_API_KEY is not consulted here: these commands are about what the keychain holds.
  const creds = createCredentials({
    profile: () => profile,
    platform: () => createPlatformClient({ baseUrl, fetch: globalThis.fetch }),
    env: {},
    origins: { get: (p) => store.keyOrigins(p), set: (p, origins) => store.setKeyOrigins(p, origins) },
    bindTo: () => given,
    // URLs named on this command line (or in the environment) are the person's own choice.
    explicitUrls: envPlatform ? [...given, envPlatform] : given,
  });

  try {
    if (cmd === 'login') return await login(creds, profile, io, say, complain);
    if (cmd === 'logout') return await logout(creds, profile, say, complain);
    if (args.apiUrl) return await whoamiAtEndpoint(creds, args.apiUrl, settings.model, say, complain, !!args.platformUrl);
    return await whoami(creds, say, complain);
  } catch (error) {
    if (isAppError(error)) {
      complain(error.code === 'no_keychain' ? noKeychain(await creds.status()) : error.message);
      return error.code === 'no_keychain' ? 2 : 1;
    }
    complain(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

type Line = (line: string) => void;

async function login(creds: CredentialsService, profile: string, io: CliIo, say: Line, complain: Line): Promise<number> {
  const status = await creds.status();
  if (status.backend === 'unavailable') {
    complain(noKeychain(status));
    return 2;
  }
  const read = await readSecret(io.stdin, io.stderr, `Roboflow API key for profile "${profile}": `);
  if (read.interrupted) {
    complain('interrupted; nothing was stored.');
    return 130;
  }
  if (!read.value) {
    complain('no API key was given on stdin; nothing was stored.');
    return 1;
  }
  const stored = await creds.set(read.value, false);
  say(`Stored the API key for profile ${profile} (${masked(stored)}) in the system keychain.`);
  return 0;
}

async function logout(creds: CredentialsService, profile: string, say: Line, complain: Line): Promise<number> {
  const before = await creds.status();
  const after = await creds.remove();
  if (after.backend === 'unavailable') {
    complain(noKeychain(after));
    return 2;
  }
  say(before.hasKey ? `Removed the API key for profile ${profile} from the system keychain.` : `No API key was stored for profile ${profile}.`);
  return 0;
}

/** whoami --api-url: does that inference server accept the key (and, with --platform-url, whose workspace is it)? */
async function whoamiAtEndpoint(creds: CredentialsService, apiUrl: string, model: string, say: Line, complain: Line, alsoPlatform: boolean): Promise<number> {
  const listed = await whoamiKey(creds, say, complain);
  if (listed !== null) return listed;
  const origin = new URL(apiUrl).origin;
  try {
    await checkKeyAtEndpoint({ baseUrl: apiUrl, key: await creds.apiKeyFor(apiUrl), model, fetch: globalThis.fetch });
    say(`Endpoint:  ${origin} accepts this key`);
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.code === 'network' || error.code === 'timeout') {
      say(`Endpoint:  ${origin} unknown (offline: ${error.message})`);
      return alsoPlatform ? workspaceLine(creds, say) : 0;
    }
    say(`Endpoint:  ${origin} refused (${error.message})`);
    return 1;
  }
  return alsoPlatform ? workspaceLine(creds, say) : 0;
}

/** The profile, keychain and key lines; an exit code when there is nothing more to say. */
async function whoamiKey(creds: CredentialsService, say: Line, complain: Line): Promise<number | null> {
  const status = await creds.status();
  if (status.backend === 'unavailable') {
    complain(noKeychain(status));
    return 2;
  }
  say(`Profile:   ${status.profile}`);
  say(`Keychain:  system keychain (service "Classify Desk", account "${status.profile}")`);
  if (!status.hasKey) {
    say('Key:       not set (run `classify-desk login`)');
    return 1;
  }
  say(`Key:       ${masked(status)}`);
  return null;
}

async function whoami(creds: CredentialsService, say: Line, complain: Line): Promise<number> {
  const listed = await whoamiKey(creds, say, complain);
  return listed ?? workspaceLine(creds, say);
}

async function workspaceLine(creds: CredentialsService, say: Line): Promise<number> {
  try {
    const checked = await creds.check();
    say(`Workspace: ${checked.workspace ?? '(unknown)'}`);
    return 0;
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.code === 'network' || error.code === 'timeout') {
      say(`Workspace: unknown (offline: ${error.message})`);
      return 0;
    }
    say(`Workspace: unknown (${error.message})`);
    return 1;
  }
}
