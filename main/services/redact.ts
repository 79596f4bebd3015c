// Redaction of secrets from any text that may be printed, logged, stored or sent to the renderer.
// Keys travel in `api_key=` query parameters and `Authorization: Bearer` headers; callers that know
// the key pass it too, so a key echoed anywhere else (say, in a server's error text) is caught.

/** Removes api keys from URLs, bearer headers, JSON-ish `api_key` fields and the given secrets. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/([?&;]api_key=)[^&#\s"'<>]*/gi, '$1[redacted]')
    .replace(/(api_key["']?\s*[:=]\s*["']?)[^&#\s"',}]+/gi, '$1[redacted]')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}
