import type { Api } from '../../app/contract';
import { isAppError, type AppError } from '../../app/errors';

// The one door to main: `window.api`, installed by the preload (Electron) or the browser host.

declare global {
  interface Window {
    api: Api;
  }
}

export function getApi(): Api {
  if (!window.api) throw new Error('window.api is missing: the app must run inside Classify Desk or its test host.');
  return window.api;
}

/** Anything a call rejected with, as an AppError the UI can show. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Something went wrong: ${message}` };
}
