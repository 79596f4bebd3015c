import { parseArgs } from 'node:util';
import { isAppError } from '../../app/errors';
import type { CredentialStatus } from '../../app/types';
import { createCredentials, type CredentialsService } from '../services/credentials';
import { keychainRemedy } from '../services/keychain';
import { resolveDataDir } from '../services/paths';
import { createPlatformClient } from '../services/platform';
import { redactSecrets } from '../services/redact';
import { createSettingsStore } from '../services/settings-store';
import { readSecret } from './read-secret';

// `classify-desk login | logout | whoami`. The key comes in on stdin only (never argv, which other
// users can read in the process list), is stored in the OS keychain, and leaves as `••••last4`.
// Profile: --profile, else the settings' profile. Platform API base URL (whoami): --api-url, else
// ROBOFLOW_PLATFORM_URL, else the settings' platformApiUrl (default https://api.roboflow.com).
// Exit codes: 0 done, 1 failed (bad input, rejected key), 2 no keychain, 130 interrupted.

export type CredentialsCommand = 'login' | 'logout' | 'whoami';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const usage: Record<CredentialsCommand, string> = {
  login: 'Usage: classify-desk login [--profile P]   (reads the API key from stdin; no echo on a terminal)',
  logout: 'Usage: classify-desk logout [--profile P]',
  whoami: 'Usage: classify-desk whoami [--profile P] [--api-url URL]',
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

  let args: { profile?: string; apiUrl?: string };
  try {
    const { values } = parseArgs({
      args: argv,
      options: { profile: { type: 'string' }, 'api-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      say(usage[cmd]);
      return 0;
    }
    args = { profile: values.profile, apiUrl: values['api-url'] };
  } catch (error) {
    complain(`${error instanceof Error ? error.message : String(error)}\n${usage[cmd]}`);
    return 1;
  }

  const settings = createSettingsStore({ dataDir: resolveDataDir(io.env) }).get();
  const profile = args.profile?.trim() || settings.profile;
  const baseUrl = args.apiUrl?.trim() || io.env.ROBOFLOW_PLATFORM_URL?.trim() || settings.platformApiUrl;
  // ROBOFLOW_API_KEY is not consulted here: these commands are about what the keychain holds.
  const creds = createCredentials({
    profile: () => profile,
    platform: () => createPlatformClient({ baseUrl, fetch: globalThis.fetch }),
    env: {},
  });

  try {
    if (cmd === 'login') return await login(creds, profile, io, say, complain);
    if (cmd === 'logout') return await logout(creds, profile, say, complain);
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

async function whoami(creds: CredentialsService, say: Line, complain: Line): Promise<number> {
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
