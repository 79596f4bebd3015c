import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import { isBlankCorrection, type Correction, type CorrectionPatch, type CorrectionsChange } from '../../../app/corrections';
import { toAppError } from '../api';

// The person's corrections of the open folder (label, reviewed, flagged), as main stores them.
// Every change goes through main (setCorrection / undoCorrection / redoCorrection), so it is on
// disk before the UI shows it and survives restarts; the store only mirrors main's answers.

export class CorrectionsStore {
  /** Images with a corrected label, reviewed or flagged; replaced wholesale on every change. */
  #byId = $state.raw<ReadonlyMap<string, Correction>>(new Map());
  get byId() {
    return this.#byId;
  }
  #canUndo = $state(false);
  get canUndo() {
    return this.#canUndo;
  }
  #canRedo = $state(false);
  get canRedo() {
    return this.#canRedo;
  }
  #error = $state<AppError | null>(null);
  get error() {
    return this.#error;
  }

  private folderId = '';
  private loadToken = 0;
  /** Steps run one after another, so an undo pressed right after a label applies to that label. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly api: Api) {}

  get(id: string | undefined): Correction | undefined {
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** The person dismissed the "could not be saved" banner. */
  dismissError(): void {
    this.#error = null;
  }

  /** Forgets the previous folder's corrections. */
  clear(): void {
    this.loadToken++;
    this.folderId = '';
    this.#byId = new Map();
    this.#canUndo = false;
    this.#canRedo = false;
    this.#error = null;
  }

  async load(folderId: string): Promise<void> {
    const token = ++this.loadToken;
    this.folderId = folderId;
    try {
      const snapshot = await this.api.corrections({ folderId });
      if (token !== this.loadToken) return;
      this.#byId = new Map(snapshot.items.map((c) => [c.id, c] as const));
      this.#canUndo = snapshot.canUndo;
      this.#canRedo = snapshot.canRedo;
      this.#error = null;
    } catch (error) {
      if (token === this.loadToken) this.#error = toAppError(error);
    }
  }

  /** One undoable step: the same patch on every given image. */
  set(ids: readonly string[], patch: CorrectionPatch): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.step((folderId) => this.api.setCorrection({ folderId, ids: [...ids], ...patch }));
  }

  undo(): Promise<void> {
    return this.step((folderId) => this.api.undoCorrection({ folderId }));
  }

  redo(): Promise<void> {
    return this.step((folderId) => this.api.redoCorrection({ folderId }));
  }

  private step(call: (folderId: string) => Promise<CorrectionsChange>): Promise<void> {
    const folderId = this.folderId;
    const token = this.loadToken;
    if (!folderId) return Promise.resolve();
    const run = this.queue.then(async () => {
      try {
        const change = await call(folderId);
        if (token !== this.loadToken) return;
        this.apply(change);
      } catch (error) {
        if (token === this.loadToken) this.#error = toAppError(error);
      }
    });
    this.queue = run;
    return run;
  }

  private apply(change: CorrectionsChange): void {
    if (change.changed.length > 0) {
      const next = new Map(this.#byId);
      for (const c of change.changed) {
        if (isBlankCorrection(c)) next.delete(c.id);
        else next.set(c.id, c);
      }
      this.#byId = next;
    }
    this.#canUndo = change.canUndo;
    this.#canRedo = change.canRedo;
    this.#error = null;
  }
}
