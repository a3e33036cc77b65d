// Background upkeep of the block store, one pass at a time: remove released layers' entries, fold
// frozen layers nothing reads into their only child, compact the data log when host writes pause.

import { COMPACT_DEAD_BYTES_FORCE, COMPACT_IDLE_MS } from '../../constants.js';
import type { BlockStore } from './block-store.js';
import type { LayerTable } from './layer-table.js';
import type { StoreWriter } from './store-writer.js';

export interface MaintenanceHost {
  isClosed(): boolean;
  /** performance.now() of the last host write. */
  lastWriteMs(): number;
  /** True while the layer still has writes waiting in the overlay. */
  hasPending(layerId: number): boolean;
  commitMeta(writes: Map<string, unknown>): Promise<void>;
}

export class Maintenance {
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: BlockStore,
    private readonly writer: StoreWriter,
    private readonly layers: LayerTable,
    private readonly host: MaintenanceHost,
    private readonly dataSegmentBytes: number,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const layerId of [...this.layers.dead]) {
        if (await this.writer.collectLayer(layerId, () => this.host.isClosed()))
          this.layers.dead.delete(layerId);
      }
      for (const { parentId, childId } of this.layers.mergeCandidates((id) => this.host.hasPending(id))) {
        if (this.host.isClosed()) break;
        await this.fold(parentId, childId);
      }
      if (!this.host.isClosed() && this.compactionDue()) await this.writer.compact();
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async fold(parentId: number, childId: number): Promise<void> {
    const parent = this.layers.get(parentId);
    if (!parent) return;
    await this.writer.mergeLayer(parentId, childId, parent.parentId === null);
    // Entries moved first, chain shortened second: a crash in between leaves an empty layer in
    // the chain, which reads straight through.
    const writes = this.layers.fold(parentId, childId);
    if (writes) await this.host.commitMeta(writes);
  }

  /**
   * Compaction rewrites live data, so it yields to host writes: it runs once writes have paused,
   * or regardless when dead space in the data log passes COMPACT_DEAD_BYTES_FORCE.
   */
  private compactionDue(): boolean {
    if (performance.now() - this.host.lastWriteMs() >= COMPACT_IDLE_MS) return true;
    const segments = this.store.data.segments().length;
    const deadBytes = segments * this.dataSegmentBytes - this.store.state.storedBytes;
    if (deadBytes >= COMPACT_DEAD_BYTES_FORCE) return true;
    this.runLater(COMPACT_IDLE_MS); // check again when the writes pause
    return false;
  }

  private runLater(delayMs: number): void {
    if (this.timer || this.host.isClosed()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delayMs);
    this.timer.unref();
  }
}
