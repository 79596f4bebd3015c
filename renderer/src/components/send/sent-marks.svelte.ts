import type { Api } from '../../../../app/contract';
import type { SendProgress, SentMark } from '../../../../app/dataset-send';

// What the open folder has sent to Roboflow (per image: project, batch, split, when), and the
// progress of sends, from main's `sendProgress` events. A send that ends reloads the marks, so
// tiles and the detail view show it even when the dialog was closed meanwhile.

const terminal = new Set<SendProgress['state']>(['done', 'cancelled', 'stopped']);

export class SentMarksStore {
  byId = $state.raw<ReadonlyMap<string, SentMark>>(new Map());
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

  async load(folderId: string): Promise<void> {
    const token = ++this.token;
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
