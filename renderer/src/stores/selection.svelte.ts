// Selected images by id (ids survive re-sorting and filtering; positions do not).

export class SelectionStore {
  private set = $state.raw<ReadonlySet<string>>(new Set());
  private anchor = -1;

  get size(): number {
    return this.set.size;
  }

  has(id: string | undefined): boolean {
    return id !== undefined && this.set.has(id);
  }

  ids(): string[] {
    return [...this.set];
  }

  clear(): void {
    if (this.set.size > 0) this.set = new Set();
    this.anchor = -1;
  }

  single(id: string, pos: number): void {
    this.set = new Set([id]);
    this.anchor = pos;
  }

  toggle(id: string, pos: number): void {
    const next = new Set(this.set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.set = next;
    this.anchor = pos;
  }

  /** Selects every position from the anchor to `pos` (inclusive). */
  range(pos: number, idAt: (pos: number) => string | undefined): void {
    const from = this.anchor < 0 ? pos : this.anchor;
    const next = new Set<string>();
    for (let p = Math.min(from, pos); p <= Math.max(from, pos); p++) {
      const id = idAt(p);
      if (id !== undefined) next.add(id);
    }
    this.set = next;
    if (this.anchor < 0) this.anchor = pos;
  }
}
