// The drills' limits and defaults, each with its unit and the reason for its value.

/** One numbered write is one 4 KiB block: the array's block size, so a write never straddles two. */
export const DRILL_BLOCK_BYTES = 4096;
/** Cinder's smallest volume; the writer wraps around inside it. */
export const DRILL_VOLUME_GIB = 1;
/** Writes in flight per writer: enough to keep a sync pod busy, few enough to pace exactly. */
export const WRITER_QUEUE_DEPTH = 8;
/**
 * Writes per second per writer by default: a steady, chartable load that keeps the data a resync
 * or a transfer must move small (2 MiB/s), so drills finish in seconds.
 */
export const WRITER_RATE_DEFAULT_PER_S = 500;
/** A write with no answer for this long counts as an I/O error (multipath's path checker would). */
export const NBD_REQUEST_TIMEOUT_MS = 20_000;
export const NBD_CONNECT_TIMEOUT_MS = 5_000;
/** Between attempts on a path that refused: multipath retries failed paths every few seconds. */
export const PATH_RETRY_MS = 200;
/** Reads for verification, in chunks of this many bytes (256 blocks). */
export const VERIFY_READ_BYTES = 1024 * 1024;

/** Default length of the write phase; the fault comes at its midpoint. */
export const WRITE_SECONDS_DEFAULT = 10;
/** Stand-in for the hourly replication schedule in site-loss: a snapshot every this many seconds. */
export const SNAPSHOT_INTERVAL_DEFAULT_S = 3;
/** How often replication lag and pod states are sampled for the charts. */
export const SAMPLE_INTERVAL_MS = 500;
/** After the fault, writes go on this long so the chart shows the recovery. */
export const AFTER_FAULT_WRITE_MS = 3_000;

/** Volumes become available within a second; a stuck control plane is reported, not waited on. */
export const VOLUME_READY_TIMEOUT_MS = 60_000;
/** A failover of a handful of volumes takes well under a second; failback needs the primary again. */
export const FAILOVER_TIMEOUT_MS = 120_000;
/** A restarted array replays its journal and rejoins; the pod resync after it compares every block. */
export const RESYNC_TIMEOUT_MS = 120_000;
/** Writes must resume within this after a fault, or the drill stops waiting (and fails its RTO). */
export const RESUME_TIMEOUT_MS = 60_000;
export const POLL_INTERVAL_MS = 200;
/**
 * Cinder reports backend stats every 10 s (BACKEND_STATS_INTERVAL_MS) and schedules nothing to a
 * backend whose last report failed, e.g. while its array was down: up to one interval and a margin.
 */
export const BACKEND_UP_TIMEOUT_MS = 30_000;
/** Control API and REST calls answer in milliseconds; an array start waits for its journal replay. */
export const CONTROL_REQUEST_TIMEOUT_MS = 90_000;
export const REST_REQUEST_TIMEOUT_MS = 10_000;

/** The Cinder Pure driver's default names (pure_replication_pod_name, pure_replication_pg_name). */
export const CINDER_POD = 'cinder-pod';
export const CINDER_PGROUP = 'cinder-group';
/** Replication device ids of the lab's cinder.conf. */
export const SYNC_BACKEND_ID = 'pure-sync';
export const DR_BACKEND_ID = 'pure-dr';
/** The drill's own host object on the arrays; never matches the driver's generated names. */
export const DRILL_HOST_PREFIX = 'tandem-drill';
export const DRILL_IQN_PREFIX = 'iqn.2026-11.lab.drill';

/** Exit codes of `tandem drill`. */
export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_UNRUNNABLE = 2;
