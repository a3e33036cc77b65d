// Every limit in one place, each with its unit in the name and the reason beside it.

/** Unit of mapping, dedup and compression. 4 KiB matches host page size and NBD/fio's common block. */
export const BLOCK_BYTES = 4096;
/** Smallest addressable unit for host I/O: NBD and SCSI allow 512-byte aligned access. */
export const SECTOR_BYTES = 512;
/** Largest provisioned size of one volume: 4 PiB, as on a FlashArray. */
export const VOLUME_PROVISIONED_MAX_BYTES = 4 * 1024 ** 5;

/** Journal segment size: large enough that segment switches are rare, small enough to recycle quickly. */
export const JOURNAL_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Journal records are encoded into buffers of this size (overlay entries point into them). */
export const JOURNAL_CHUNK_BYTES = 1024 * 1024;
/** Journal chunks kept for reuse once destaged (bounded memory; reuse avoids GC churn). */
export const JOURNAL_SPARE_CHUNKS_MAX = 256;
/** Upper bound on bytes gathered into one journal write + fdatasync (group commit). */
export const JOURNAL_BATCH_MAX_BYTES = 8 * 1024 * 1024;
/** Journal batch writes in flight at once (O_DSYNC): the disk completes several flushes in parallel. */
export const JOURNAL_WRITES_INFLIGHT_MAX = 4;
/**
 * After recovery the log continues this many LSNs past the last valid record, so that records left
 * behind a hole by in-flight writes at the crash can never be mistaken for new ones.
 */
export const JOURNAL_RESTART_LSN_GAP = 2 ** 24;
/** Acknowledged-but-not-destaged data held in memory; writers wait above this (backpressure). */
export const OVERLAY_MAX_BYTES = 512 * 1024 * 1024;
/** Blocks moved from the journal overlay into the block store in one store transaction. */
export const DESTAGE_BATCH_BLOCKS = 1024;
/**
 * The block index lives in memory and logs each store transaction; past this many log bytes the
 * whole index is written to a checkpoint and the log starts over (bounds replay time at start).
 */
export const INDEX_LOG_CHECKPOINT_BYTES = 256 * 1024 * 1024;
/** Shards of the block index's big maps: one V8 Map holds at most 2^24 entries. */
export const INDEX_SHARDS = 16;
/** A layer's map is kept in chunks of this many blocks, so ranges cost what they hold. */
export const INDEX_MAP_CHUNK_BLOCKS = 4096;
/**
 * Compression heuristic: every 15th byte of a block is sampled (274 samples per 4 KiB). Odd, so
 * data made of 8-byte words is sampled at every byte position (a stride of 16 saw only the low
 * byte of fio's random words and took them for compressible data).
 */
export const COMPRESS_SAMPLE_STRIDE = 15;
/**
 * Above this fraction of distinct values among the samples a block is taken as incompressible.
 * Random bytes give about 0.63 (1 - 1/e); text and structured data rarely pass 0.3.
 */
export const COMPRESS_SAMPLE_DISTINCT_RATIO_MAX = 0.5;
/** Async replication: blocks per dedup query (hash list) and per data message (<= 4 MiB raw). */
export const REPLICATION_TRANSFER_BATCH_BLOCKS = 256;
/** How often protection group schedules are checked. */
export const REPLICATION_SCHEDULER_TICK_MS = 1000;
/** Stretched pods: how often a pod's state machine gets a clock tick. */
export const POD_TICK_MS = 100;
/** Stretched pods: the mediator is asked whether it is reachable this often (drives pre-election). */
export const POD_MEDIATOR_HEALTH_MS = 1000;
/** Longest time from losing the peer to a decision; I/O waits meanwhile (issue target: resume <= 2 s). */
export const POD_DECISION_TIMEOUT_MS = 1500;
/** A copy into a stretched pod volume sends the blocks the peer lacks in writes of at most this many blocks (1 MiB). */
export const POD_COPY_RUN_BLOCKS = 256;
/** How often each connected array's management address is probed (array-connection status). */
export const MANAGEMENT_PROBE_INTERVAL_MS = 2000;
/** A management address that has not answered in this long counts as unreachable. */
export const MANAGEMENT_PROBE_TIMEOUT_MS = 1500;
/** A non-preferred array claims the mediator this much later, so the preferred one wins a race. */
export const POD_NON_PREFERRED_CLAIM_DELAY_MS = 300;
/**
 * Stretched pods: the last blocks mirrored (written or applied) are remembered; a write in flight at
 * a split may be on one array only, so these are compared again when the arrays meet.
 */
export const POD_ACTIVITY_LOG_BLOCKS = 65_536;
/**
 * Stretched pods: a resync copies what changed while writes go on; when no more than this many
 * blocks are left (or after POD_RESYNC_ROUNDS_MAX rounds) new writes wait for the last round, so a
 * busy volume cannot keep the resync from ever finishing. 1024 blocks take tens of ms on loopback.
 */
export const POD_RESYNC_FREEZE_BLOCKS = 1024;
export const POD_RESYNC_ROUNDS_MAX = 8;
/** Data log segment size: the unit of space reclaim (a mostly-dead segment is compacted away). */
export const DATA_SEGMENT_BYTES = 256 * 1024 * 1024;
/** A sealed data segment is compacted once no more than this fraction of it is live. */
export const COMPACT_LIVE_RATIO_MAX = 0.5;
/** Compaction waits for this long a pause in host writes (it competes with them for the disk)... */
export const COMPACT_IDLE_MS = 1000;
/** ...unless this much of the data log is dead space. */
export const COMPACT_DEAD_BYTES_FORCE = 4 * 1024 * 1024 * 1024;
/** Worker threads hashing and compressing blocks for destage (the event loop keeps serving I/O). */
export const DESTAGE_WORKERS = 1;
/** Content hashes a destage worker remembers to skip compressing repeated content (~100 B each). */
export const PREPARE_RECENT_HASHES_MAX = 65_536;
/** Destage starts as soon as this much is waiting, otherwise on the idle timer. */
export const DESTAGE_TRIGGER_BYTES = 128 * 1024 * 1024;
/** Destage also starts when the journal holds this much (overwrites coalesce in the overlay, not in the journal). */
export const JOURNAL_LIVE_TRIGGER_BYTES = 1024 * 1024 * 1024;
/** Idle destage timer: keeps the journal short when the write rate is low. */
export const DESTAGE_IDLE_MS = 200;

/** Soft-deleted objects stay recoverable this long (Purity's eradication delay). */
export const ERADICATION_DELAY_MS = 24 * 3600 * 1000;

/** REST sessions from /login expire after this much disuse. */
export const REST_SESSION_IDLE_MS = 30 * 60 * 1000;
/** Largest JSON body accepted by the REST API. */
export const REST_BODY_MAX_BYTES = 1024 * 1024;
/** Highest REST version advertised: pypureclient snapshots above 2.38 are incomplete (spec §5.4). */
export const REST_API_VERSION_MAX = '2.38';

/** NBD: largest single request payload (NBD_CMD_WRITE/READ length); qemu and libnbd use <= 32 MiB. */
export const NBD_REQUEST_MAX_BYTES = 32 * 1024 * 1024;
/** NBD: requests in flight per connection before the server stops reading the socket. */
export const NBD_INFLIGHT_MAX = 128;
/** NBD: option haggling must finish within this time or the connection is closed. */
export const NBD_HANDSHAKE_TIMEOUT_MS = 10_000;
/** NBD: largest option payload accepted during the handshake. */
export const NBD_OPTION_MAX_BYTES = 64 * 1024;

/** Performance counters are kept as 1-second buckets for this many seconds. */
export const PERF_HISTORY_SECONDS = 300;

// Engine and object bookkeeping bounds.
/** Longest run of adjacent blocks fetched with one read (1 MiB of raw blocks). */
export const READ_RUN_BLOCKS_MAX = 256;
/** Runs at least this long are read on the thread pool (engine.readAsync); shorter ones at once. */
export const READ_ASYNC_MIN_BYTES = 64 * 1024;
/** Read buffers kept for reuse once the protocol servers have sent them (see platform/buffer-pool.ts). */
export const READ_POOL_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Write buffers (an iSCSI command's Data-Out, an NBD WRITE's payload) each protocol server keeps
 * for reuse once their writes settled: fresh 1 MiB buffers for every write made V8 collect the
 * whole heap several times a second (see platform/buffer-pool.ts).
 */
export const WRITE_POOL_MAX_BYTES = 64 * 1024 * 1024;
/** Zero ranges up to this many blocks are tracked per block; larger ones as one range. */
export const ZERO_RANGE_PER_BLOCK_MAX = 256;
/** Map entries of a dead layer removed per store transaction (bounds one transaction's size). */
export const GC_ENTRIES_PER_TRANSACTION = 20_000;
/** Destage batches whose data write or transaction may be under way at once. */
export const DESTAGE_BATCHES_IN_FLIGHT = 3;
/** Blocks moved per compaction transaction. */
export const COMPACT_BLOCKS_PER_TRANSACTION = 2048;
/** Space views are recomputed at most this often: the walk costs time per mapped block. */
export const SPACE_CACHE_MS = 2000;
/** How often destroyed objects past their eradication delay are swept. */
export const ERADICATION_SWEEP_MS = 60_000;

// ---- Replication link (src/replication/link/) ----
/**
 * Largest replication frame after its length field (checksum, fixed header, JSON header, payload).
 * Bounds the memory one frame can claim on either side; 64 MiB carries a 16 MiB data transfer with room.
 */
export const REPLICATION_FRAME_MAX_BYTES = 64 * 1024 * 1024;
/** Largest JSON header in a frame: headers name things and carry offsets, data goes in the payload. */
export const REPLICATION_FRAME_HEADER_MAX_BYTES = 1024 * 1024;
/** Requests one side may have outstanding on a link; further requests wait in a queue (backpressure). */
export const REPLICATION_REQUESTS_INFLIGHT_MAX = 32;
/**
 * Incoming requests and messages being handled at once before the link stops reading its socket.
 * Twice the peer's request limit, so a well-behaved peer's requests plus its messages never stall.
 */
export const REPLICATION_HANDLING_MAX = 2 * REPLICATION_REQUESTS_INFLIGHT_MAX;
/** ...or once their payloads add up to this much (64 frames of 64 MiB would be 4 GiB). */
export const REPLICATION_HANDLING_MAX_BYTES = 256 * 1024 * 1024;
/**
 * A frame is handed to the socket in slices of at most this size, waiting for 'drain' whenever the
 * socket says it is full: a 64 MiB payload never sits whole in the socket's buffer.
 */
export const REPLICATION_WRITE_SLICE_BYTES = 1024 * 1024;
/** Heartbeat tick: a link that has sent nothing for half of it sends a ping, so the peer hears from it. */
export const REPLICATION_HEARTBEAT_MS = 500;
/**
 * A link that has received nothing for this long is declared dead (five missed heartbeats). Writes
 * to a stretched pod wait this long on a silent partition before the split is decided, so it is
 * short; an event loop stalled longer than this (none measured above ~1 s) would split the pod.
 */
export const REPLICATION_DEAD_AFTER_MS = 2500;
/** A connection must complete its hello (both directions) within this time or it is dropped. */
export const REPLICATION_HANDSHAKE_TIMEOUT_MS = 5000;
/**
 * Largest first frame (the hello, or its answer) a connection may send: a hello is a few hundred
 * bytes, and a peer that has not yet proven its key must not make us buffer 64 MiB.
 */
export const REPLICATION_HELLO_FRAME_MAX_BYTES = 64 * 1024;
/** Longest connection key, array id, array name or address accepted in a hello. */
export const REPLICATION_HELLO_TEXT_MAX_CHARS = 1024;
/** Connections still in their handshake at once; more are dropped at accept (bounds a connect flood). */
export const REPLICATION_HANDSHAKES_PENDING_MAX = 64;
/** close() waits this long for outstanding requests and answers before ending the connection. */
export const REPLICATION_CLOSE_GRACE_MS = 2000;
/** PeerConnector: first redial delay after a failure; doubles per consecutive failure... */
export const REPLICATION_REDIAL_INITIAL_MS = 100;
/** ...up to this cap (a peer that is down for long is tried every 5 s, not hammered). */
export const REPLICATION_REDIAL_MAX_MS = 5000;
/** A remote handler's error text is cut to this length: it goes into a frame header and into logs. */
export const REPLICATION_ERROR_MESSAGE_MAX_CHARS = 2000;

// ---- Mediator (src/mediator/) ----
/**
 * Newest epochs (splits) remembered per pod. A pod splits again only after it has rejoined, so an
 * array never claims an epoch 16 splits old; older claims are denied (they cannot be proven free),
 * and the grants file stays small because the whole file is rewritten for every grant.
 */
export const MEDIATOR_EPOCHS_KEPT_PER_POD = 16;
/** Pods one mediator decides for; bounds memory and the grants file (about 3 KiB per pod at most). */
export const MEDIATOR_PODS_MAX = 4096;
/** Longest pod or array id in a claim: array ids are UUIDs and pod names are short. */
export const MEDIATOR_ID_MAX_CHARS = 128;
/** Largest claim body accepted: a claim is under 300 bytes of JSON. */
export const MEDIATOR_BODY_MAX_BYTES = 4096;
/** Claims waiting for their turn (each may wait on one fsync); more are answered 503 at once. */
export const MEDIATOR_CLAIMS_PENDING_MAX = 1024;
/** A request must arrive whole within this time or the connection is closed (bounds slow clients). */
export const MEDIATOR_REQUEST_TIMEOUT_MS = 10_000;
/** Largest grants file read at start: well above PODS_MAX full pods, far below a memory problem. */
export const MEDIATOR_GRANTS_FILE_MAX_BYTES = 32 * 1024 * 1024;
/**
 * How long an array waits for the mediator's answer before treating it as unreachable: a split
 * must be decided within the pod's decision deadline, and a mediator that is up answers in ms.
 */
export const MEDIATOR_CLIENT_TIMEOUT_MS = 1000;
/** Largest answer the client reads from a mediator (its answers are under 200 bytes). */
export const MEDIATOR_CLIENT_ANSWER_MAX_BYTES = 16 * 1024;
