// Where a lean journal's index keeps its briefs: by row (a key's row is fixed from the first time
// the key is seen until the index is rebuilt), so a store can keep them as typed columns rather
// than one object per record (at 250,000 results the objects, their score arrays and the slots
// that held them were most of main's heap).

export interface BriefStore<B> {
  /** Rows holding a brief (0 … length - 1). */
  readonly length: number;
  /** Sets `row`'s brief: an existing row (a later record of the same key) or `length` (a new one). */
  set(row: number, brief: B): void;
  /** The brief of `row` (a store may make it afresh or hand out its own: callers must not change it). */
  get(row: number): B;
}

/** Briefs as they are: for journals whose briefs have no column form (tests, small journals). */
export class ArrayBriefStore<B> implements BriefStore<B> {
  readonly #briefs: B[] = [];

  get length(): number {
    return this.#briefs.length;
  }

  set(row: number, brief: B): void {
    this.#briefs[row] = brief;
  }

  get(row: number): B {
    return this.#briefs[row];
  }
}
