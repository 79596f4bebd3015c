// app/ is compiled with the ECMAScript library only (no DOM, no Node types), so it cannot name the
// WHATWG `URL` class. Every runtime this code runs in (Electron's main and renderer, Node, the
// test browser) provides it as a global; this module names the few parts app/ reads.

/** The parts of a parsed WHATWG URL that app/ reads. */
export interface ParsedUrl {
  readonly protocol: string;
  readonly hostname: string;
  readonly username: string;
  readonly password: string;
  readonly search: string;
  readonly hash: string;
}

// A module-scoped declaration: it emits nothing, so `URL` below is the runtime's global.
declare const URL: new (text: string) => ParsedUrl;

/** `text` parsed as an absolute URL, or null where the URL parser refuses it. */
export function parseUrl(text: string): ParsedUrl | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
