import type { Api } from '../../../../app/contract';
import type { SendProgress, SentMark } from '../../../../app/dataset-send';

// What the open folder has sent to Roboflow (per image: project, batch, split, when), and the
// progress of sends, from main's `sendProgress` events. A send that ends reloads the marks, so
// tiles and the detail view show it even when the dialog was closed meanwhile. The "Sent to
// Roboflow / not sent" filter is an allow-list of entry indices for the review store.

const terminal = new Set<SendProgress['state']>(['done', 'cancelled', 'stopped']);

export type SentFilter = 'all' | 'sent' | 'not-sent';

export class SentMarksStore {
  byId = $state.raw<ReadonlyMap<string, SentMark>>(new Map());
  filter = $state<SentFilter>('all');
  /** The latest progress of every send of this window, by send id. */
  sends = $state.raw<ReadonlyMap<string, SendProgress>>(new Map());
  private folderId = '';
  private token = 0;
  readonly off: () => void;

  constructor(private readonly api: Api) {
    this.off = api.on('sendProgress', (progress) => {
      this.sends = new Map(this.sends).set(progress.sendId, progress);
      if (terminal.has(progress.state) && progress.folderId === this.folderId) void this.load(this.folderId);
    });
  }

  get(id: string | undefined): SentMark | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** The entry indices the filter keeps, or null when it keeps every image. */
  allowed(ids: readonly string[]): ReadonlySet<number> | null {
    if (this.filter === 'all') return null;
    const sent = this.filter === 'sent';
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i++) if (this.byId.has(ids[i]) === sent) out.add(i);
    return out;
  }

  async load(folderId: string): Promise<void> {
    const token = ++this.token;
    if (folderId !== this.folderId) this.filter = 'all';
    this.folderId = folderId;
    if (!folderId) {
      this.byId = new Map();
      return;
    }
    try {
      const marks = await this.api.sentMarks({ folderId });
      if (token === this.token) this.byId = new Map(marks.map((m) => [m.id, m] as const));
    } catch {
      // Marks are a convenience: without them the tiles simply show nothing.
      if (token === this.token) this.byId = new Map();
    }
  }
}
