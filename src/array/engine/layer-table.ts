// Which layers exist, how they chain, which are read directly (roots) and which were released.
// In memory only; the engine persists records as meta keys `layer:<id>`.

export interface LayerRecord {
  id: number;
  parentId: number | null;
}

export class LayerTable {
  private readonly records = new Map<number, LayerRecord>();
  /** Released layers whose store entries are still to be removed. */
  readonly dead = new Set<number>();
  /** Layers read directly (volume heads, snapshots), as last given to `retainOnly`; null until then. */
  private roots: Set<number> | null = null;

  add(record: LayerRecord): void {
    this.records.set(record.id, record);
  }

  get(id: number): LayerRecord | undefined {
    return this.records.get(id);
  }

  has(id: number): boolean {
    return this.records.has(id);
  }

  /** Ids from `headId` down to the root. */
  chain(headId: number): number[] {
    const ids: number[] = [];
    for (let id: number | null = headId; id !== null; id = this.records.get(id)?.parentId ?? null)
      ids.push(id);
    return ids;
  }

  /** Keeps what `roots` reach; returns the ids released (now in `dead`). */
  retainOnly(roots: Iterable<number>): number[] {
    this.roots = new Set(roots);
    const reachable = new Set<number>();
    for (const root of this.roots) for (const id of this.chain(root)) reachable.add(id);
    const released: number[] = [];
    for (const id of [...this.records.keys()]) {
      if (reachable.has(id)) continue;
      this.records.delete(id);
      this.dead.add(id);
      released.push(id);
    }
    return released;
  }

  /** Meta writes persisting every record (cheap: layers are few). */
  puts(): Map<string, unknown> {
    const writes = new Map<string, unknown>();
    for (const [id, record] of this.records) writes.set(`layer:${id}`, record);
    return writes;
  }

  /**
   * Frozen layers nothing reads directly (their snapshot was eradicated) with exactly one child and
   * nothing pending: folding them into the child frees the blocks the child has overwritten since.
   */
  mergeCandidates(hasPending: (id: number) => boolean): Array<{ parentId: number; childId: number }> {
    const roots = this.roots;
    if (roots === null) return []; // nobody said yet which layers are read directly
    const children = new Map<number, number[]>();
    for (const layer of this.records.values()) {
      if (layer.parentId === null) continue;
      const list = children.get(layer.parentId) ?? [];
      list.push(layer.id);
      children.set(layer.parentId, list);
    }
    const candidates: Array<{ parentId: number; childId: number }> = [];
    for (const [parentId, list] of children) {
      if (list.length !== 1 || roots.has(parentId) || hasPending(parentId)) continue;
      candidates.push({ parentId, childId: list[0]! });
    }
    return candidates;
  }

  /** After the store merged `parentId` into `childId`: shortens the chain; returns the meta writes. */
  fold(parentId: number, childId: number): Map<string, unknown> | null {
    const parent = this.records.get(parentId);
    const child = this.records.get(childId);
    if (!parent || !child || child.parentId !== parentId) return null;
    child.parentId = parent.parentId;
    this.records.delete(parentId);
    return new Map<string, unknown>([
      [`layer:${childId}`, child],
      [`layer:${parentId}`, undefined],
    ]);
  }
}
