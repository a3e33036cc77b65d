// The narrow interface every protocol server (NBD now, iSCSI later) uses to reach a volume's data.
// Offsets and lengths are byte counts; callers guarantee SECTOR_BYTES alignment and bounds
// (they must reject bad requests in their own protocol before calling).

export interface BlockDevice {
  /** Stable name: the volume or snapshot name, used in logs and metrics. */
  readonly name: string;
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  /** Returns exactly lengthBytes. Unwritten ranges read as zeroes. */
  read(offsetBytes: number, lengthBytes: number): Buffer | Promise<Buffer>;
  /**
   * Optional: the caller is done with a buffer `read` returned (its bytes were written to the
   * socket), so the device may reuse it. Never call it while anything still uses the buffer.
   */
  release?(data: Buffer): void;
  /** Resolves only when the data is durable (survives kill -9): every write is FUA-grade. */
  write(offsetBytes: number, data: Buffer): Promise<void>;
  /**
   * Optional: asked once a write of `data` settled. True when the device holds no reference to
   * those bytes any more, so the caller may fill the buffer again for another request. Without
   * this method (or on false) a written buffer must be left to the collector.
   */
  mayReuse?(data: Buffer): boolean;
  /** Resolves when the range reads as zeroes durably. */
  writeZeroes(offsetBytes: number, lengthBytes: number): Promise<void>;
  /** Discards the range: it reads as zeroes afterwards and its space is released. */
  trim(offsetBytes: number, lengthBytes: number): Promise<void>;
  /** Resolves when every write acknowledged before the call is durable. */
  flush(): Promise<void>;
  /** Called once when the protocol session that opened the device ends. */
  close(): void;
}

/** Why an I/O failed, independent of the protocol that reports it (NBD errno, SCSI sense, ...). */
export type IoErrorCode = 'io' | 'read-only' | 'out-of-range' | 'no-space' | 'offline' | 'gone';

export class IoError extends Error {
  constructor(
    readonly code: IoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IoError';
  }
}

/** How protocol servers find what they may serve. */
export interface ExportCatalog {
  /** Names of everything exportable right now (connected volumes, snapshots). */
  list(): string[];
  /** Opens an export or explains why it cannot be opened (unknown, not connected, destroyed). */
  open(exportName: string): BlockDevice | { refused: string };
}
