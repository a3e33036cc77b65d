// Limits the SCSI device server advertises (VPD 0xB0 Block Limits) and enforces. Counts are in
// logical blocks of SCSI_BLOCK_BYTES (512) unless the name says otherwise.

import { SCSI_BLOCK_BYTES } from './types.js';

/** The engine maps 4 KiB blocks: smaller or unaligned writes cost a read-modify-write merge. */
export const ENGINE_BLOCK_BYTES = 4096;

/** OPTIMAL TRANSFER LENGTH GRANULARITY and OPTIMAL UNMAP GRANULARITY: one engine block. */
export const OPTIMAL_GRANULARITY_BLOCKS = ENGINE_BLOCK_BYTES / SCSI_BLOCK_BYTES;

/**
 * MAXIMUM TRANSFER LENGTH: 32 MiB per READ/WRITE/VERIFY. Bounds the buffer one task holds; it is
 * also >= 65536 blocks, which libiscsi's WriteSame*.Unmap needs (it WRITE16s 65536 blocks when the
 * write-same limit allows it).
 */
export const MAX_TRANSFER_BLOCKS = (32 * 1024 * 1024) / SCSI_BLOCK_BYTES;

/** OPTIMAL TRANSFER LENGTH: 1 MiB, a size the engine handles without splitting hot paths. */
export const OPTIMAL_TRANSFER_BLOCKS = (1024 * 1024) / SCSI_BLOCK_BYTES;

/**
 * MAXIMUM COMPARE AND WRITE LENGTH (a one-byte field, so at most 255). VMware ATS uses 1; 255 lets
 * libiscsi's CompareAndWrite tests run their 1..255 sizes and check 256 is refused.
 */
export const MAX_COMPARE_AND_WRITE_BLOCKS = 255;

/**
 * MAXIMUM WRITE SAME LENGTH: 128 MiB. A patterned WRITE SAME is written in WRITE_SAME_CHUNK_BYTES
 * pieces, so this bounds the time one command takes, not memory.
 */
export const MAX_WRITE_SAME_BLOCKS = (128 * 1024 * 1024) / SCSI_BLOCK_BYTES;

/** A patterned WRITE SAME replicates its block into a buffer of this size and writes it repeatedly. */
export const WRITE_SAME_CHUNK_BYTES = 1024 * 1024;

/**
 * MAXIMUM UNMAP LBA COUNT: 512 MiB per UNMAP (2^20 blocks, the largest explicit value libiscsi's
 * Inquiry.BlockLimits accepts; 0xFFFFFFFF would mean unlimited). Trim is cheap in the engine.
 */
export const MAX_UNMAP_BLOCKS = 1024 * 1024;

/** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. Linux sends one descriptor per UNMAP; 256 is plenty. */
export const MAX_UNMAP_DESCRIPTORS = 256;

/**
 * LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT in READ CAPACITY(16): 0, i.e. 512-byte physical
 * blocks, as a FlashArray reports (its data reduction works at 512-byte granularity). The 4 KiB
 * preference is advertised through the optimal granularities instead. (An exponent of 3 would
 * also make libiscsi's GetLBAStatus.UnmapSingle fail: that test assumes one block per physical
 * block when it checks the first descriptor's LBA.)
 */
export const LOGICAL_PER_PHYSICAL_EXPONENT = 0;

/** REPORT LUNS: LUNs up to this use peripheral addressing, larger ones flat space addressing. */
export const PERIPHERAL_LUN_MAX = 255;
/** The largest LUN flat space addressing can express (14 bits). */
export const FLAT_LUN_MAX = 16383;

/**
 * Unit attention state (pending conditions, last reported capacity) is kept per I_T nexus, i.e.
 * per iSCSI session. The transport says when sessions start and end; this bounds the nexuses
 * remembered anyway (above the transport's ISCSI_SESSIONS_MAX, so only leaks get evicted).
 */
export const UNIT_ATTENTION_NEXUSES_MAX = 4096;
/** LUs one nexus keeps unit attention state for (a host sees at most a few hundred). */
export const UNIT_ATTENTION_LUS_PER_NEXUS_MAX = 1024;
/** Conditions queued for one I_T_L nexus; more are dropped (SPC-4 lets a server keep just one). */
export const UNIT_ATTENTION_QUEUE_MAX = 4;

/** REPORT SUPPORTED OPERATION CODES timeouts descriptor: nominal and recommended, in seconds. */
export const COMMAND_NOMINAL_TIMEOUT_SECONDS = 0;
export const COMMAND_RECOMMENDED_TIMEOUT_SECONDS = 30;

/**
 * Initiator ports registered for persistent reservations on one LU; more get INSUFFICIENT
 * REGISTRATION RESOURCES. A cluster registers each node's ports: a few dozen at most.
 */
export const PR_REGISTRATIONS_PER_LU_MAX = 256;
/** LUs with reservation state at once (one entry per LU with a registration or reservation). */
export const RESERVATION_UNITS_MAX = 65_536;
