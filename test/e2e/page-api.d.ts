// The page under test has the app's `window.api` (preload or host shim); code the e2e specs run
// in the page with `page.evaluate` calls it. The renderer declares the same global for itself.
import type { Api } from '../../app/contract';

declare global {
  interface Window {
    api: Api;
  }
}
