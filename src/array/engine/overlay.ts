// Journaled writes that are acknowledged but not yet destaged into the block store. Reads consult
// the overlay before the store. Only the newest write per block is kept (older ones are superseded
// in the journal too), and zero ranges are kept as ranges so that trimming a whole 4 PiB volume
// costs one entry, not billions.

import { BLOCK_BYTES } from '../../constants.js';

export interface OverlayBlock {
  lsn: number;
  /** null: the block reads as zero. */
  data: Buffer | null;
}

export interface ZeroRange {
  lsn: number;
  startBlock: number;
  blockCount: number;
}

export interface LayerOverlay {
  blocks: Map<number, OverlayBlock>;
  zeroRanges: ZeroRange[];
}

export class Overlay {
  private readonly layers = new Map<number, LayerOverlay>();
  private dataBytes = 0;

  get bytes(): number {
    return this.dataBytes;
  }

  get isEmpty(): boolean {
    return this.layers.size === 0;
  }

  setBlock(layerId: number, blockIndex: number, entry: OverlayBlock): void {
    const layer = this.layerFor(layerId);
    const previous = layer.blocks.get(blockIndex);
    if (previous?.data) this.dataBytes -= BLOCK_BYTES;
    if (entry.data) this.dataBytes += BLOCK_BYTES;
    layer.blocks.set(blockIndex, entry);
  }

  /** Records a zero range and drops older block entries inside it (they are superseded). */
  addZeroRange(layerId: number, range: ZeroRange): void {
    const layer = this.layerFor(layerId);
    const end = range.startBlock + range.blockCount;
    if (range.blockCount < layer.blocks.size) {
      for (let index = range.startBlock; index < end; index++) this.dropBlock(layer, index);
    } else {
      for (const index of [...layer.blocks.keys()]) {
        if (index >= range.startBlock && index < end) this.dropBlock(layer, index);
      }
    }
    layer.zeroRanges.push(range);
  }

  /** What the overlay says about a block: data, zero (null), or undefined (ask the store). */
  lookup(layerId: number, blockIndex: number): Buffer | null | undefined {
    const layer = this.layers.get(layerId);
    if (!layer) return undefined;
    const entry = layer.blocks.get(blockIndex);
    if (entry) return entry.data;
    for (const range of layer.zeroRanges) {
      if (blockIndex >= range.startBlock && blockIndex < range.startBlock + range.blockCount) return null;
    }
    return undefined;
  }

  layer(layerId: number): LayerOverlay | undefined {
    return this.layers.get(layerId);
  }

  layerIds(): number[] {
    return [...this.layers.keys()];
  }

  dropLayer(layerId: number): void {
    const layer = this.layers.get(layerId);
    if (!layer) return;
    for (const entry of layer.blocks.values()) if (entry.data) this.dataBytes -= BLOCK_BYTES;
    this.layers.delete(layerId);
  }

  /** After destage up to `lsn`: forget entries that were written to the store (and not rewritten since). */
  forgetUpTo(lsn: number): void {
    for (const [layerId, layer] of this.layers) {
      for (const [index, entry] of layer.blocks) {
        if (entry.lsn <= lsn) this.dropBlock(layer, index);
      }
      layer.zeroRanges = layer.zeroRanges.filter((r) => r.lsn > lsn);
      if (layer.blocks.size === 0 && layer.zeroRanges.length === 0) this.layers.delete(layerId);
    }
  }

  /** Drops a destaged entry unless a newer write replaced it meanwhile. */
  forgetIfCurrent(layerId: number, blockIndex: number, entry: OverlayBlock): void {
    const layer = this.layers.get(layerId);
    if (layer?.blocks.get(blockIndex) === entry) this.dropBlock(layer, blockIndex);
  }

  private dropBlock(layer: LayerOverlay, index: number): void {
    const entry = layer.blocks.get(index);
    if (!entry) return;
    if (entry.data) this.dataBytes -= BLOCK_BYTES;
    layer.blocks.delete(index);
  }

  private layerFor(layerId: number): LayerOverlay {
    let layer = this.layers.get(layerId);
    if (!layer) {
      layer = { blocks: new Map(), zeroRanges: [] };
      this.layers.set(layerId, layer);
    }
    return layer;
  }
}
