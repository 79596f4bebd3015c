import type { Api } from '../../../app/contract';
import type { ImageFacts } from '../../../app/types';
import { formatBytes } from '../../../app/format';
import { toAppError } from '../api';

// Sizes and modification times of the images the details show, asked of main one image at a time
// (the listing carries ids only). Read each time an image comes into view (the file may have been
// rewritten since it was last shown), its facts from before shown until the answer comes.

export type FactsState = { state: 'reading' } | { state: 'read'; facts: ImageFacts } | { state: 'failed'; message: string };

/** Where facts are shown: each place reads an image's facts again when it starts showing it. */
export type FactsPlace = 'panel' | 'full-view';

/** Images whose facts are kept (the focus, the open image and the ones just before them). */
const keptMax = 64;
const reading: FactsState = { state: 'reading' };

export class ImageFactsStore {
  /** By folder id and image id, with the last read asked for (an older answer does not replace a
   *  newer one); not reactive itself: `#version` says it changed. */
  #known = new Map<string, { state: FactsState; read: number }>();
  /** The image each place shows now. */
  #shown = new Map<FactsPlace, string>();
  #reads = 0;
  #version = $state(0);

  constructor(private readonly api: Api) {}

  /** The facts of the image `place` shows (tracked): read when the place starts showing it. */
  of(place: FactsPlace, folderId: string, id: string): FactsState {
    void this.#version;
    const key = `${folderId}/${id}`;
    const known = this.#known.get(key)?.state;
    if (this.#shown.get(place) === key && known) return known;
    this.#shown.set(place, key);
    if (!known && this.#known.size >= keptMax) this.#known.clear();
    const read = ++this.#reads;
    this.#known.set(key, { state: known ?? reading, read });
    void this.api.imageFacts({ folderId, id }).then(
      (facts): FactsState => ({ state: 'read', facts }),
      (error: unknown): FactsState => ({ state: 'failed', message: toAppError(error).message }),
    ).then((state) => {
      // Forgotten meanwhile (another folder opened), or read again since: not written.
      if (this.#known.get(key)?.read !== read) return;
      this.#known.set(key, { state, read });
      this.#version += 1;
    });
    return known ?? reading;
  }

  /** Forgets every image's facts (a folder opened or was read again: files may have changed);
   *  the ones shown are read again. */
  clear(): void {
    if (this.#known.size === 0) return;
    this.#known.clear();
    this.#shown.clear();
    this.#version += 1;
  }
}

/** The size as the details show it. */
export function sizeText(f: FactsState): string {
  if (f.state === 'read') return formatBytes(f.facts.size);
  return f.state === 'reading' ? 'being read…' : 'unknown';
}

/** The modification time as the details show it (the person's locale and time zone). */
export function modifiedText(f: FactsState): string {
  if (f.state === 'read') return new Date(f.facts.mtimeMs).toLocaleString();
  return f.state === 'reading' ? 'being read…' : 'unknown';
}
