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
