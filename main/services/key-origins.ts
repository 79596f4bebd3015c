// Which servers a Roboflow key may be sent to. A key is bound to the origins it was entered for
// (the endpoint and platform API saved with it, or given to `login`); Roboflow's own https
// origins are always allowed. Origins are not secret: they live in the settings file.

/** `scheme://host[:port]` of an http(s) URL, or null when it is not one. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url.trim());
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return parsed.origin;
  } catch {
    return null;
  }
}

/** True for https://roboflow.com and https://<anything>.roboflow.com on the default port. */
export function isRoboflowOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'https:' && url.port === '' && (url.hostname === 'roboflow.com' || url.hostname.endsWith('.roboflow.com'));
  } catch {
    return false;
  }
}

/** True when a key bound to `bound` may be sent to `url`. */
export function keyAllowedAt(bound: readonly string[], url: string): boolean {
  const origin = originOf(url);
  if (!origin) return false;
  return isRoboflowOrigin(origin) || bound.includes(origin);
}

/** The distinct non-Roboflow origins of the given URLs (Roboflow's need no binding); bad URLs are skipped. */
export function bindableOrigins(urls: readonly string[]): string[] {
  const out = new Set<string>();
  for (const url of urls) {
    const origin = originOf(url);
    if (origin && !isRoboflowOrigin(origin)) out.add(origin);
  }
  return [...out].sort();
}

export { isPlainHttpOffMachine } from '../../app/settings';
