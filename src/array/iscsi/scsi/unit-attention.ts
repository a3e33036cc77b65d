// CAPACITY DATA HAS CHANGED: after a volume grows (or shrinks), the next command from each
// initiator to that LU (except INQUIRY, REPORT LUNS and REQUEST SENSE) gets UNIT ATTENTION
// 06/2A/09 once, so the host re-reads the capacity. The server remembers the size it last
// reported per initiator, target and LUN; the first command on a nexus only records it.

import { CAPACITY_MEMORY_ENTRIES_MAX } from './limits.js';
import type { ScsiTask } from './types.js';

export class CapacityWatch {
  private readonly lastSizeBytes = new Map<string, { lun: number; sizeBytes: number }>();

  private keyOf(task: ScsiTask): string {
    return `${task.nexus.initiatorName}\u0000${task.nexus.targetName}\u0000${task.lun}`;
  }

  /** True (once) when the LU's size differs from what this nexus last saw. */
  changed(task: ScsiTask): boolean {
    if (task.unit === null) return false;
    const key = this.keyOf(task);
    const sizeBytes = task.unit.device.sizeBytes;
    const last = this.lastSizeBytes.get(key);
    if (last?.sizeBytes === sizeBytes) return false;
    // Bounded: forgetting everything only costs a unit attention that is not reported.
    if (last === undefined && this.lastSizeBytes.size >= CAPACITY_MEMORY_ENTRIES_MAX)
      this.lastSizeBytes.clear();
    this.lastSizeBytes.set(key, { lun: task.lun, sizeBytes });
    return last !== undefined;
  }

  /** LOGICAL UNIT RESET (lun) or TARGET RESET (null). */
  forget(lun: number | null): void {
    if (lun === null) {
      this.lastSizeBytes.clear();
      return;
    }
    for (const [key, entry] of this.lastSizeBytes) if (entry.lun === lun) this.lastSizeBytes.delete(key);
  }
}
