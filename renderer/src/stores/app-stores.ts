import type { Api } from '../../../app/contract';
import { resultsKey } from '../../../app/endpoints';
import { LibraryStore } from './library.svelte';
import { ReviewStore } from './review.svelte';
import { JobStore } from './job.svelte';
import { SettingsStore } from './settings.svelte';
import { SelectionStore } from './selection.svelte';
import { CompareStore } from './compare.svelte';
import { CorrectionsStore } from './corrections.svelte';
import { EvaluationStore } from './evaluation.svelte';
import { EndpointStore } from './endpoint.svelte';
import { WebImagesStore } from './web-images.svelte';
import { ExportStore } from './export.svelte';
import { ClassThresholdsStore } from './class-thresholds.svelte';
import { TagsStore } from '../components/tags/tags.svelte';
import { SavedViewsStore } from '../components/views/saved-views.svelte';

// Every store of the window, built once and wired to each other.

export interface Stores {
  library: LibraryStore;
  review: ReviewStore;
  job: JobStore;
  settings: SettingsStore;
  selection: SelectionStore;
  compare: CompareStore;
  corrections: CorrectionsStore;
  evaluation: EvaluationStore;
  endpoint: EndpointStore;
  web: WebImagesStore;
  exporter: ExportStore;
  thresholds: ClassThresholdsStore;
  tags: TagsStore;
  views: SavedViewsStore;
}

export function createStores(api: Api): Stores {
  const library = new LibraryStore(api);
  const review = new ReviewStore(api, library);
  const job = new JobStore(api, library, review);
  const settings = new SettingsStore(api);
  const selection = new SelectionStore();
  // Model comparison: the second model's results, and the "Models disagree" filter of the grid.
  const compare = new CompareStore(api, library, review, () => settings.value);
  review.allowed = compare.allowed;
  const corrections = new CorrectionsStore(api);
  // Whose stored results main evaluates ('' without a model).
  const evaluation = new EvaluationStore(api, library, review, corrections, () => (settings.value?.model ? resultsKey(settings.value) : ''));
  review.mistakes = () => evaluation.mistakes;
  const endpoint = new EndpointStore(api);
  const web = new WebImagesStore(api);
  const exporter = new ExportStore(api);
  const thresholds = new ClassThresholdsStore(settings, () => library.folder?.folderId ?? '', () => settings.value?.model ?? '');
  review.classThresholds = () => thresholds.overrides;
  const tags = new TagsStore(corrections);
  const views = new SavedViewsStore(settings, () => library.folder?.folderId ?? '');
  return { library, review, job, settings, selection, compare, corrections, evaluation, endpoint, web, exporter, thresholds, tags, views };
}
