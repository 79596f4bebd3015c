import { expect } from 'vitest';
import { AppFailure } from '../../app/errors';

/** Awaits a promise that must reject with an AppFailure and returns that failure. */
export async function failure(promise: Promise<unknown>): Promise<AppFailure> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}
