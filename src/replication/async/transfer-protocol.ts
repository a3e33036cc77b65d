// Messages of an async (protection group) snapshot transfer over a replication link. The sender
// asks, per batch of changed blocks, which contents the target lacks (by sha256), and sends only
// those, lz4-compressed. The target builds each volume in a staging layer on top of the replica
// snapshot both sides hold, and exposes nothing until `commit`.

import type { RetentionPolicy } from '../../array/objects/model.js';

export const TransferMessage = {
  begin: 'xfer-begin',
  blocks: 'xfer-blocks',
  data: 'xfer-data',
  commit: 'xfer-commit',
  abort: 'xfer-abort',
} as const;

export interface SourceGroupRef {
  arrayId: string;
  arrayName: string;
  pgroupId: string;
  pgroupName: string;
}

export interface BeginRequest {
  transferId: string;
  source: SourceGroupRef;
  /** retained: the target's retention applies (absent, from an older sender: it applies). */
  snapshot: { id?: string; suffix: string; createdMs: number; retained?: boolean };
  targetRetention: RetentionPolicy;
  volumes: Array<{ id: string; name: string; provisionedBytes: number; baseSuffix: string | null }>;
}

export interface BeginResponse {
  /** Per volume: whether the target holds the base snapshot (if not, the sender sends everything). */
  volumes: Array<{ id: string; baseFound: boolean }>;
  /**
   * Set when the target already holds a snapshot with this suffix (sent by the other array of a
   * stretched pod): the sender renumbers its snapshot to this and begins again.
   */
  renumber?: number;
  /** The target already holds this very snapshot (an earlier commit whose answer was lost). */
  alreadyHeld?: boolean;
}

export interface BlocksRequest {
  transferId: string;
  volumeId: string;
  /** [blockIndex, sha256 hex or null for a block that reads as zeroes]. */
  blocks: Array<[number, string | null]>;
}

export interface BlocksResponse {
  /** Block indexes whose content the target does not have: send their data. */
  need: number[];
}

export interface DataRequest {
  transferId: string;
  volumeId: string;
  /** [blockIndex, bytes in the payload, lz4?], in payload order. */
  blocks: Array<[number, number, boolean]>;
}

export interface CommitRequest {
  transferId: string;
}

export interface CommitResponse {
  physicalBytesWritten: number;
}
