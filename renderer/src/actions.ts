import type { Api } from '../../app/contract';
import { endpointBase, resultsKey } from '../../app/endpoints';
import type { Settings, SettingsPatch } from '../../app/settings';
import type { FolderInfo } from '../../app/types';
import type { AppError } from '../../app/errors';
import { evaluationExports, type EvaluationExportKind, type ExportChoice } from '../../app/export-formats';
import { plural } from '../../app/format';
import { toAppError } from './api';
import type { RunMode } from './stores/job.svelte';
import type { Stores } from './stores/app-stores';
import type { Notice, UiStore } from './stores/ui.svelte';
import type { StartFolder } from './start-folder';

// What the window's buttons, menus, drops and shortcuts do when it takes more than one store.

export interface Actions {
  /** Opens a folder by path, forgetting the previous folder's focus, selection and job. */
  openPath(path: string): Promise<void>;
  /** Opens the folder main chose at start, asked for before the window mounted. */
  openStart(start: StartFolder): Promise<void>;
  /** Shows the folder picker and loads the stored results of the folder picked. */
  pickAndOpen(): Promise<void>;
  /** Starts a run; without a model opens Settings, while offline waits for the banner's Retry. */
  runJob(mode: string): Promise<void>;
  /** Probes the endpoint again and starts the run that waited for it. */
  retryEndpoint(): Promise<void>;
  /** Exports results or the evaluation as chosen in the Export menu, telling the outcome in the notice. */
  exportAs(choice: ExportChoice): Promise<void>;
  /** Saves a Settings change; another endpoint or model reloads that one's results. */
  saveSettings(patch: SettingsPatch): Promise<AppError | null>;
  /** Opens the dropped folder. */
  drop(event: DragEvent): void;
  /** Selects the tile at `pos` alone, toggled, or as a range from the anchor. */
  select(pos: number, mode: 'toggle' | 'range' | 'single'): void;
  /** Saves a slider's value once it rests. */
  persistLater(key: 'tileSize' | 'threshold', value: number): void;
  closeDetail(): void;
  /** Asks main why a thumbnail failed and shows that on its tile. */
  thumbError(id: string): void;
}

const endpointNames = { serverless: 'Serverless', hosted: 'Hosted (legacy)', 'self-hosted': 'Self-hosted' } as const;

/** An endpoint and model in words: "Self-hosted http://127.0.0.1:9001, birds/3". */
function sourceText(s: Settings): string {
  if (s.engine === 'on-device') return `On this computer, ${s.model || 'no model'}`;
  const url = endpointBase(s);
  return `${endpointNames[s.endpointKind]}${s.endpointKind === 'self-hosted' || s.endpointUrl.trim() ? ` ${url}` : ''}, ${s.model || 'no model'}`;
}

export function createActions(api: Api, stores: Stores, ui: UiStore): Actions {
  const { library, review, job, settings, selection, endpoint, web, evaluation, exporter } = stores;
  const persistTimers: Record<string, ReturnType<typeof setTimeout>> = {};
  const idAt = (pos: number): string | undefined => review.idAt(pos);

  async function openPath(path: string): Promise<void> {
    return openThen((onOpened) => library.open(path, onOpened));
  }

  /** The stored results are asked for as soon as main has answered the open: main reads them while
   *  the page takes in the listing (at 250,000 images that took the page 1-1.5 s before). */
  async function openThen(open: (onOpened: (info: FolderInfo) => void) => Promise<void>): Promise<void> {
    ui.resetPositions();
    selection.clear();
    review.clear();
    job.clear();
    ui.grid?.scrollToTop();
    await open((info) => void review.load(info.folderId));
  }

  async function runJob(mode: string): Promise<void> {
    if (!settings.value?.model) {
      ui.notify({ kind: 'error', title: 'No model chosen', text: 'Enter the model (project/version) in Settings, then press Run again.' });
      ui.setSettingsOpen(true);
      return;
    }
    if (endpoint.offline && !(await endpoint.check())) {
      ui.setPendingRun(mode);
      return;
    }
    ui.setPendingRun(null);
    await job.start(mode as RunMode, selection.ids());
  }

  async function exportEvaluation(kind: EvaluationExportKind, onlyConfirmed: boolean): Promise<void> {
    try {
      const done = await evaluation.export(kind, { onlyConfirmed });
      if (!done) return;
      ui.notify({ kind: 'info', title: 'Exported', text: `${evaluationExports[kind].written(done.count)} to ${done.path}` }, true);
    } catch (error) {
      ui.notify({ kind: 'error', title: 'Export failed', text: toAppError(error).message });
    }
  }

  /**
   * Saves a Settings change. Results are kept per endpoint and model, so another choice shows that
   * one's results: `announce` says so, with how many the previous one keeps and a way back.
   */
  async function changeSettings(patch: SettingsPatch, announce: boolean): Promise<AppError | null> {
    const before = settings.value;
    const kept = review.aligned.count();
    const error = await settings.update(patch);
    if (error) return error;
    if (patch.threshold !== undefined) review.setThreshold(patch.threshold);
    const after = settings.value;
    const changed = before && after && resultsKey(before) !== resultsKey(after);
    if (!changed) return null;
    void endpoint.check();
    // The last run's summary belonged to the previous endpoint and model.
    if (!job.active) job.clear();
    if (!library.folder) return null;
    void review.reload(library.folder.folderId);
    void web.load(library.folder.folderId);
    if (announce && kept > 0) {
      // Only the model changed (the same engine and endpoint), or the endpoint or engine did.
      const what = resultsKey({ ...after, model: before.model }) === resultsKey(before) ? 'model' : 'endpoint';
      const back: SettingsPatch = { endpointKind: before.endpointKind, endpointUrl: before.endpointUrl, model: before.model, engine: before.engine };
      const notice: Notice = {
        kind: 'info',
        title: `Now showing ${sourceText(after)}`,
        text: `Results are kept per endpoint and model: ${plural(kept, 'result')} for the previous ${what} (${sourceText(before)}) are still stored.`,
        action: {
          label: `Back to the previous ${what}`,
          run: () =>
            void changeSettings(back, false).then((failure) => {
              if (failure) ui.notify({ kind: 'error', title: 'Could not switch back', text: failure.message });
              else ui.dismissNotice(notice);
            }),
        },
      };
      ui.notify(notice);
    }
    return null;
  }

  return {
    openPath,
    openStart: (start) => openThen((onOpened) => library.openStart(start, onOpened)),
    runJob,
    async pickAndOpen() {
      const path = await library.pickFolder();
      if (path) await openPath(path);
    },
    async retryEndpoint() {
      const run = ui.pendingRun;
      if ((await endpoint.check()) && run && library.folder && !job.active) await runJob(run);
    },
    async exportAs(choice) {
      if (choice.kind === 'evaluation') return exportEvaluation(choice.export, choice.onlyConfirmed ?? false);
      const folderId = library.folder?.folderId ?? '';
      if (!folderId) return;
      const ids = choice.shownOnly ? review.shownIds() : undefined;
      const outcome = await exporter.run(folderId, choice.format, ids, { keepSubfolders: choice.keepSubfolders });
      // A written export is news that passes; a failure stays until read.
      if (outcome) ui.notify(outcome, outcome.kind === 'info');
    },
    saveSettings: (patch) => changeSettings(patch, true),
    drop(event) {
      event.preventDefault();
      ui.setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      // The shell reads the dropped item's path and tells main it was chosen; the page only opens it.
      void api.chooseDropped(file).then((path) => {
        if (path) void openPath(path);
        else ui.notify({ kind: 'error', title: 'Cannot open the dropped item', text: 'Its location is unknown here; use Open folder instead.' });
      });
    },
    select(pos, mode) {
      const id = idAt(pos);
      if (!id) return;
      if (mode === 'toggle') selection.toggle(id, pos);
      else if (mode === 'range') selection.range(pos, idAt);
      else selection.single(id, pos);
    },
    persistLater(key, value) {
      clearTimeout(persistTimers[key]);
      persistTimers[key] = setTimeout(() => void settings.update({ [key]: value }), 400);
    },
    closeDetail() {
      ui.closeDetail();
      ui.focusGrid();
    },
    thumbError(id) {
      const folderId = library.folder?.folderId ?? '';
      api.thumbnailError({ folderId, id }).then(
        (error) => review.setThumbError(id, error?.message ?? 'The thumbnail could not be loaded.'),
        (error) => review.setThumbError(id, toAppError(error).message),
      );
    },
  };
}
