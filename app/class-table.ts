// Class names kept once each, by index in the order first seen: main's results store (one table for
// all its journals) and the page's results table (app/result-table.ts) keep scores as class indices.

export class ClassTable {
  readonly names: string[] = [];
  readonly #index = new Map<string, number>();

  /** The name's index (added when new). */
  indexOf(name: string): number {
    let k = this.#index.get(name);
    if (k === undefined) {
      k = this.names.length;
      this.#index.set(name, k);
      this.names.push(name);
    }
    return k;
  }
}

/** Some of a table's classes, numbered afresh in the order first met: the class list a results
 *  page or a sidecar carries (the table's own indices differ between runs of the app). */
export class ClassSubset {
  readonly names: string[] = [];
  /** The subset's index of each table index met so far (table indices are small and dense). */
  readonly #local: number[] = [];

  constructor(private readonly table: { readonly names: readonly string[] }) {}

  /** The subset's index for the table's class `cls` (added when new). */
  indexOf(cls: number): number {
    let c = this.#local[cls];
    if (c === undefined) {
      c = this.names.length;
      this.#local[cls] = c;
      this.names.push(this.table.names[cls]);
    }
    return c;
  }
}
