import type { Api, MenuCommand } from '../../app/contract';
import { isHttpsImageUrl } from '../../app/web-url';
import { toAppError } from './api';
import type { Actions } from './actions';
import type { Stores } from './stores/app-stores';
import type { UiStore } from './stores/ui.svelte';
import type { StartFolder } from './start-folder';

// Start-up of the window: main's events feed the stores, settings and the endpoint are probed,
// the folder asked for on the command line opens (`start`: asked for before the window mounted).
// Answers the function that undoes it all.

export function wireWindow(api: Api, stores: Stores, ui: UiStore, actions: Pick<Actions, 'openPath' | 'openStart' | 'exportAs'>, start?: StartFolder): () => void {
  const { library, review, compare, web, job, endpoint, exporter, settings } = stores;
  const onMenu: Record<MenuCommand, () => void> = {
    settings: () => ui.setSettingsOpen(true),
    shortcuts: () => ui.setShortcutsOpen(true),
    export: () => void actions.exportAs({ kind: 'results', format: 'json' }),
  };
  const off = [
    api.on('scanBatch', (b) => library.onScanBatch(b)),
    api.on('scanDone', (d) => library.onScanDone(d)),
    api.on('scanProblem', (p) => library.onScanProblem(p)),
    api.on('identitiesRead', ({ folderId }) => {
      review.onIdentitiesRead(folderId);
      compare.onIdentitiesRead(folderId);
    }),
    api.on('jobProgress', (p) => (p.compare ? compare.onProgress(p) : p.web ? web.onProgress(p) : job.onProgress(p))),
    api.on('jobItem', (item) => {
      if (item.compare) return compare.onJobItem(item);
      // Web images are named by their https URL; folder images by a relative path.
      if (isHttpsImageUrl(item.id)) web.onJobItem(item);
      else if (item.folderId === (library.folder?.folderId ?? '')) review.onJobItem(item);
    }),
    api.on('endpointStatus', (status) => endpoint.onStatus(status)),
    api.on('exportProgress', (progress) => exporter.onProgress(progress)),
    api.on('openFolderRequest', ({ path }) => void actions.openPath(path)),
    api.on('menuCommand', ({ command }) => onMenu[command]()),
  ];
  const media = matchMedia(`(resolution: ${ui.dpr}dppx)`);
  const onDpr = () => ui.setDpr(window.devicePixelRatio || 1);
  media.addEventListener('change', onDpr);
  // Settings and the initial folder load side by side: the first thumbnails should not wait.
  void settings.load().then(() => {
    if (settings.value) {
      ui.setTileSize(settings.value.tileSize);
      review.setThreshold(settings.value.threshold);
    }
    return settings.probe();
  });
  void endpoint.check();
  const onOnline = () => void endpoint.check().then(() => settings.probe());
  window.addEventListener('online', onOnline);
  // The listeners above are in place before the early request's held events are handed over.
  if (start) void actions.openStart(start);
  else
    api.initialFolder({}).then(
      (initial) => {
        if (initial && !library.folder && !library.opening) void actions.openPath(initial);
      },
      (error) => ui.notify({ kind: 'error', title: 'Could not open the folder', text: toAppError(error).message }),
    );
  return () => {
    off.forEach((unsubscribe) => unsubscribe());
    media.removeEventListener('change', onDpr);
    window.removeEventListener('online', onOnline);
  };
}
