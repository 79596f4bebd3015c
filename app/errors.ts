// Error codes every failure the user sees carries (DESIGN.md §3), and what each one asks them to do.

export const errorCodes = [
  'unauthorized',
  'model_not_found',
  'quota_or_forbidden',
  'payment_required',
  'rate_limited',
  'too_large',
  'bad_image',
  'unreadable_file',
  'not_found',
  'network',
  'timeout',
  'server',
  'model_too_big',
  'bad_response',
  'bad_request',
  'no_keychain',
  'no_key',
  'cancelled',
  'invalid_input',
  'internal',
  /** The key was entered for other servers; main did not send it to this one. */
  'key_not_for_endpoint',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface AppError {
  code: ErrorCode;
  message: string;
}

/** Codes that mean every further request would fail the same way: a job stops at once. */
export const systemicCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'unauthorized',
  'model_not_found',
  'quota_or_forbidden',
  'payment_required',
  'model_too_big',
  'no_key',
  'no_keychain',
  'key_not_for_endpoint',
]);

/** True when the error should stop a whole job rather than fail one image. */
export function isSystemic(code: ErrorCode): boolean {
  return systemicCodes.has(code);
}

/** Builds an AppError; the message must already be free of secrets. */
export function appError(code: ErrorCode, message: string): AppError {
  return { code, message };
}

/** Narrows an unknown value to an AppError. */
export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (errorCodes as readonly string[]).includes((value as { code: string }).code) &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** An Error that carries an AppError across async boundaries in main. */
export class AppFailure extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppFailure';
    this.code = code;
  }
  toJSON(): AppError {
    return { code: this.code, message: this.message };
  }
}
