import path from 'node:path';
import { z } from 'zod';
import { applyTags, maxNoteLength, maxTagLength, maxTagsPerImage, noteProblem, tagTextProblem } from '../../app/annotations';
import { isBlankCorrection, reviewFields, type Correction, type CorrectionPatch, type CorrectionsChange, type CorrectionsSnapshot } from '../../app/corrections';
import { openJournal, type Journal } from './results-journal';

export type { Correction, CorrectionPatch, CorrectionsChange, CorrectionsSnapshot };

// The person's corrections per folder: a true label, "reviewed", "flagged", and the free tags and
// short note of tags and notes (so they share the undo/redo stack and the journal's rules). Stored beside the
// results (never over them) in <dataDir>/corrections/<folderId>.jsonl, through the same crash-safe
// append-only journal as the results: a kill -9 loses at most the line being written, a torn last
// line is cut on load.
//
// Every line holds the *resulting* state of one image after a change, so the latest line of an
// image is its state. Undo and redo are appended lines too (op 'undo' / 'redo' with the state they
// restore), and each line names its step, so replaying the file rebuilds the undo and redo stacks:
// both survive a restart. Lines are keyed by their sequence number, so the journal keeps the whole
// history (human-paced edits stay small) instead of compacting it away.

const lineSchema = z.object({
  seq: z.number().int().min(0),
  step: z.number().int().min(0),
  op: z.enum(['set', 'undo', 'redo']),
  id: z.string().min(1).max(4096),
  label: z.string().min(1).max(256).optional(),
  reviewed: z.literal(true).optional(),
  flagged: z.literal(true).optional(),
  at: z.string(),
  // Tags and notes: a line whose tag or note breaks the rules is dropped like any corrupt line.
  tags: z
    .array(z.string().min(1).max(maxTagLength).refine((tag) => tagTextProblem(tag) === null))
    .min(1)
    .max(maxTagsPerImage)
    .optional(),
  note: z.string().min(1).max(maxNoteLength).refine((note) => noteProblem(note) === null).optional(),
});
type Line = z.infer<typeof lineSchema>;

interface Change {
  id: string;
  before: Correction;
  after: Correction;
}
interface Step {
  step: number;
  changes: Change[];
}

const blank = (id: string, at = ''): Correction => ({ id, label: null, reviewed: false, flagged: false, at });
const isBlank = isBlankCorrection;
const sameTags = (a: readonly string[] = [], b: readonly string[] = []) => a.length === b.length && a.every((tag, k) => tag === b[k]);

/** A correction with its tags and note present only when set, as the journal and the IPC carry them. */
function withAnnotations(c: Correction, tags: readonly string[] | undefined, note: string | undefined | null): Correction {
  const out: Correction = { id: c.id, label: c.label, reviewed: c.reviewed, flagged: c.flagged, at: c.at };
  if (tags?.length) out.tags = [...tags];
  if (note) out.note = note;
  return out;
}

/** One folder's corrections: the journal plus the replayed state and undo/redo stacks. */
class FolderCorrections {
  private readonly state = new Map<string, Correction>();
  private readonly undoStack: Step[] = [];
  private readonly redoStack: Step[] = [];
  private seq = 0;
  private nextStep = 0;

  constructor(private readonly journal: Journal<Line>) {
    for (const line of journal.values()) this.replay(line);
  }

  private replay(line: Line): void {
    this.seq = Math.max(this.seq, line.seq + 1);
    this.nextStep = Math.max(this.nextStep, line.step + 1);
    const after = withAnnotations({ id: line.id, label: line.label ?? null, reviewed: !!line.reviewed, flagged: !!line.flagged, at: line.at }, line.tags, line.note);
    const before = this.get(line.id);
    if (line.op === 'set') {
      let top = this.undoStack.at(-1);
      if (top?.step !== line.step) {
        top = { step: line.step, changes: [] };
        this.undoStack.push(top);
        this.redoStack.length = 0;
      }
      top.changes.push({ id: line.id, before, after });
    } else {
      // An undo line restores `before` of a change on the undo stack; the step moves to the redo
      // stack on its first line (and the reverse for redo).
      const [from, to] = line.op === 'undo' ? [this.undoStack, this.redoStack] : [this.redoStack, this.undoStack];
      if (to.at(-1)?.step !== line.step && from.at(-1)?.step === line.step) to.push(from.pop() as Step);
    }
    this.setState(after);
  }

  private setState(c: Correction): void {
    if (isBlank(c)) this.state.delete(c.id);
    else this.state.set(c.id, c);
  }

  get(id: string): Correction {
    return this.state.get(id) ?? blank(id);
  }

  snapshot(): CorrectionsSnapshot {
    return { items: [...this.state.values()], canUndo: this.undoStack.length > 0, canRedo: this.redoStack.length > 0 };
  }

  labels(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.state.values()) if (c.label !== null) out.set(c.id, c.label);
    return out;
  }

  private async write(op: Line['op'], step: number, states: Correction[]): Promise<CorrectionsChange> {
    for (const c of states) {
      const line: Line = { seq: this.seq, step, op, id: c.id, at: c.at };
      if (c.label !== null) line.label = c.label;
      if (c.reviewed) line.reviewed = true;
      if (c.flagged) line.flagged = true;
      if (c.tags?.length) line.tags = c.tags;
      if (c.note) line.note = c.note;
      await this.journal.append(line);
      this.replay(line);
    }
    return { changed: states, canUndo: this.undoStack.length > 0, canRedo: this.redoStack.length > 0 };
  }

  set(ids: readonly string[], patch: CorrectionPatch, at: string): Promise<CorrectionsChange> {
    const states: Correction[] = [];
    for (const id of new Set(ids)) {
      const now = this.get(id);
      const tags = patch.addTags || patch.removeTags ? applyTags(now.tags ?? [], patch.addTags, patch.removeTags).slice(0, maxTagsPerImage) : now.tags;
      const next = withAnnotations(
        {
          id,
          label: patch.label === undefined ? now.label : patch.label,
          reviewed: patch.reviewed ?? now.reviewed,
          flagged: patch.flagged ?? now.flagged,
          at,
        },
        tags,
        patch.note === undefined ? now.note : patch.note,
      );
      if (next.label !== now.label || next.reviewed !== now.reviewed || next.flagged !== now.flagged || !sameTags(next.tags, now.tags) || next.note !== now.note) {
        states.push(next);
      }
    }
    // A step that changes nothing is not worth an undo entry.
    if (states.length === 0) return Promise.resolve({ changed: [], ...this.flags() });
    return this.write('set', this.nextStep, states);
  }

  undo(at: string): Promise<CorrectionsChange> {
    const step = this.undoStack.at(-1);
    if (!step) return Promise.resolve({ changed: [], ...this.flags() });
    const states = [...step.changes].reverse().map((c) => ({ ...c.before, at }));
    return this.write('undo', step.step, states);
  }

  redo(at: string): Promise<CorrectionsChange> {
    const step = this.redoStack.at(-1);
    if (!step) return Promise.resolve({ changed: [], ...this.flags() });
    return this.write('redo', step.step, step.changes.map((c) => ({ ...c.after, at })));
  }

  close(): Promise<void> {
    return this.journal.close();
  }

  private flags() {
    return { canUndo: this.undoStack.length > 0, canRedo: this.redoStack.length > 0 };
  }
}

export interface CorrectionsOptions {
  dataDir: string;
  clock?: () => Date;
  syncIntervalMs?: number;
}

/** The corrections service: one journal per folder, opened on first use and kept open. */
export function createCorrections(options: CorrectionsOptions) {
  const clock = options.clock ?? (() => new Date());
  const folders = new Map<string, Promise<FolderCorrections>>();
  // Steps of one folder run one after another, so a step's lines are never interleaved with another's.
  const queues = new Map<string, Promise<unknown>>();
  const open = (folderId: string): Promise<FolderCorrections> => {
    let folder = folders.get(folderId);
    if (!folder) {
      if (!/^[0-9a-zA-Z_-]{1,64}$/.test(folderId)) return Promise.reject(new Error(`Bad folder id "${folderId.slice(0, 64)}"`));
      folder = openJournal<Line>({
        path: path.join(options.dataDir, 'corrections', `${folderId}.jsonl`),
        parse: (value) => {
          const parsed = lineSchema.safeParse(value);
          return parsed.success ? parsed.data : null;
        },
        key: (line) => String(line.seq),
        syncIntervalMs: options.syncIntervalMs,
      }).then((journal) => new FolderCorrections(journal));
      folders.set(folderId, folder);
      folder.catch(() => folders.delete(folderId));
    }
    return folder;
  };
  const serial = <R>(folderId: string, task: (f: FolderCorrections) => Promise<R>): Promise<R> => {
    const next = (queues.get(folderId) ?? Promise.resolve()).then(() => open(folderId)).then(task);
    queues.set(folderId, next.catch(() => undefined));
    return next;
  };
  const now = () => clock().toISOString();
  /** A lookup of each image's state at this moment. */
  const lookup = (folderId: string) =>
    serial(folderId, async (f) => {
      const items = new Map(f.snapshot().items.map((c) => [c.id, c] as const));
      return (id: string): Correction | undefined => items.get(id);
    });

  return {
    /** Every image with a correction, and whether undo/redo are possible. */
    list: (folderId: string) => serial(folderId, async (f) => f.snapshot()),
    /** Applies one patch to the given images as one undoable step. */
    set: (folderId: string, ids: readonly string[], patch: CorrectionPatch) => serial(folderId, (f) => f.set(ids, patch, now())),
    undo: (folderId: string) => serial(folderId, (f) => f.undo(now())),
    redo: (folderId: string) => serial(folderId, (f) => f.redo(now())),
    /** Corrected labels by image id (they override ground truth). */
    labels: (folderId: string) => serial(folderId, async (f) => f.labels()),
    /** A lookup of each image's state, for exports (reviewed_label, reviewed_at, flagged). */
    lookup,
    /** The export fields per image (reviewed_label, reviewed_at, flagged) for the exporter. */
    async review(folderId: string) {
      const find = await lookup(folderId);
      return (id: string) => {
        const c = find(id);
        return c ? reviewFields(c) : undefined;
      };
    },
    async close(): Promise<void> {
      const opened = [...folders.values()];
      folders.clear();
      await Promise.all([...queues.values()]);
      for (const folder of opened) await folder.then((f) => f.close(), () => undefined);
    },
  };
}

export type CorrectionsService = ReturnType<typeof createCorrections>;
