// Web images are named by their https URL. Roboflow's hosted-image route (`?image=`) refuses other
// schemes, so both the IPC contract and main check URLs with this one rule.

import { parseUrl } from './url';

/** True for an absolute https URL with a host and no user:password part. */
export function isHttpsImageUrl(value: string): boolean {
  if (!/^https:\/\//i.test(value)) return false;
  const url = parseUrl(value);
  return url !== null && url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password;
}

/** The distinct https image URLs in pasted text (separated by whitespace or commas, in order),
 *  and the pieces that are not one. */
export function parseImageUrls(text: string): { urls: string[]; rejected: string[] } {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '');
  const urls: string[] = [];
  const rejected: string[] = [];
  for (const part of parts) (isHttpsImageUrl(part) ? urls : rejected).push(part);
  return { urls: [...new Set(urls)], rejected };
}
