import { getApi } from './api';
import { openStartFolder } from './start-folder';

// Imported first by main.ts: modules run in import order, so the start folder is asked for
// before the rest of the app's modules are even evaluated.
export const start = openStartFolder(getApi());
