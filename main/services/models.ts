import { AppFailure } from '../../app/errors';
import type { CredentialStatus, ModelProject, ModelVersion } from '../../app/types';
import { isClassificationType, type PlatformClient } from './platform';
import { redactSecrets } from './redact';

// The model picker's data: the classification projects of the checked key's workspace and their
// versions, from Roboflow's platform API. The key comes from the credentials service and is used
// here only to call the API; the renderer receives slugs, names and model ids, never the key.

/** What the picker needs from the credentials service (main/services/credentials.ts). */
export interface ModelsCredentials {
  status(): Promise<CredentialStatus>;
  /** Verifies the key against the platform API and learns its workspace. */
  check(): Promise<CredentialStatus>;
  /** The key gate (credentials.apiKeyFor): the key only if it may go to this URL. */
  apiKeyFor(url: string): Promise<string>;
}

export interface ModelsService {
  projects(): Promise<ModelProject[]>;
  versions(project: string): Promise<ModelVersion[]>;
}

export interface ModelsOptions {
  credentials: ModelsCredentials;
  /** The platform client of the moment (its URL follows the settings). */
  platform: () => Pick<PlatformClient, 'baseUrl' | 'projects' | 'versions'>;
}

export function createModels(opts: ModelsOptions): ModelsService {
  /** The key and its workspace; checks the key first when its workspace is not known yet. */
  async function account(): Promise<{ key: string; workspace: string }> {
    const status = await opts.credentials.status();
    const workspace = status.workspace ?? (await opts.credentials.check()).workspace;
    const key = await opts.credentials.apiKeyFor(opts.platform().baseUrl);
    if (!workspace) throw new AppFailure('bad_response', 'Roboflow did not name the workspace of this API key. Check the key in Settings.');
    return { key, workspace };
  }

  /** Runs a platform call; anything but an AppFailure is turned into one without the key. */
  async function guarded<T>(key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppFailure) throw new AppFailure(error.code, redactSecrets(error.message, [key]));
      const message = error instanceof Error ? error.message : String(error);
      throw new AppFailure('network', `Could not list the models: ${redactSecrets(message, [key]).slice(0, 200)}. Type the model as project/version instead.`);
    }
  }

  return {
    async projects() {
      const { key, workspace } = await account();
      const all = await guarded(key, () => opts.platform().projects(key, workspace));
      return all
        .filter((p) => isClassificationType(p.type))
        .map(({ id, name, type, versions }) => ({ id, name, type, versions }))
        .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id));
    },
    async versions(project) {
      const { key, workspace } = await account();
      const all = await guarded(key, () => opts.platform().versions(key, workspace, project));
      return all.map(({ id, version, model, trained }) => ({ id, version, model, trained }));
    },
  };
}
