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

/**
 * A copy of a decoded JSON value with every occurrence of the given secrets cut out of its strings
 * (object keys included). A server that echoes the key in a successful answer must not get it
 * stored in a journal, shown in the detail view or written into an export.
 */
export function redactKnownSecrets<T>(value: T, secrets: readonly string[]): T {
  const usable = secrets.filter((s) => s.length >= 4);
  if (usable.length === 0) return value;
  const clean = (text: string) => {
    let out = text;
    for (const secret of usable) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return clean(node);
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [clean(k), walk(v)]));
    return node;
  };
  return walk(value) as T;
}
