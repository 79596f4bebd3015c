import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { Settings, SettingsPatch } from '../../../app/settings';
import type { CredentialStatus, KeyCheck } from '../../../app/types';
import { toAppError } from '../api';

// Settings and key status as main holds them; the renderer never sees the key itself.

export class SettingsStore {
  #value = $state.raw<Settings | null>(null);
  get value() {
    return this.#value;
  }
  #credentials = $state.raw<CredentialStatus | null>(null);
  get credentials() {
    return this.#credentials;
  }
  #error = $state<AppError | null>(null);
  get error() {
    return this.#error;
  }

  constructor(private readonly api: Api) {}

  async load(): Promise<void> {
    try {
      this.#value = await this.api.getSettings({});
    } catch (error) {
      this.#error = toAppError(error);
    }
    await this.refreshCredentials();
  }

  async refreshCredentials(): Promise<void> {
    try {
      this.#credentials = await this.api.credentialStatus({});
    } catch (error) {
      this.#credentials = null;
      this.#error = toAppError(error);
    }
  }

  /** Checks the saved key against Roboflow (its workspace shows in Settings). Whether the endpoint
   *  can be reached is the endpoint store's business, so a failure here stays quiet. */
  async probe(): Promise<void> {
    if (!this.#credentials?.hasKey) return;
    try {
      this.#credentials = await this.api.checkApiKey({});
    } catch {
      // Offline or a revoked key: Settings says so when opened and checked.
    }
  }

  /** Saves a partial update; answers the error instead of throwing so forms can show it. */
  async update(patch: SettingsPatch): Promise<AppError | null> {
    try {
      this.#value = await this.api.setSettings(patch);
      return null;
    } catch (error) {
      return toAppError(error);
    }
  }

  /** "Check key" before Save: the typed key (or the stored one) against the endpoint being
   *  configured; main stores nothing. Answers what was found, or the error. */
  async checkDraft(draft: { key?: string; endpointKind: Settings['endpointKind']; endpointUrl: string; model: string }): Promise<KeyCheck | AppError> {
    try {
      return await this.api.checkKeyDraft(draft);
    } catch (error) {
      return toAppError(error);
    }
  }

  /** Runs a credential action and keeps its status; answers the error, if any. */
  async credentialAction(action: () => Promise<CredentialStatus>): Promise<AppError | null> {
    try {
      this.#credentials = await action();
      return null;
    } catch (error) {
      return toAppError(error);
    }
  }
}
