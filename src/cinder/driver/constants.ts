// Limits and fixed names of the FlashArray driver, each with its unit and where it comes from
// (cinder/volume/drivers/pure.py unless said otherwise). They live here rather than in
// src/constants.ts because that file belongs to the array side.

export const GiB = 1024 * 1024 * 1024;

/** Purity's volume QoS range (`MIN_IOPS`/`MAX_IOPS`); the maximum also means "no limit". */
export const QOS_IOPS_MIN = 100;
export const QOS_IOPS_MAX = 100_000_000;
/** Bandwidth limits in bytes/s: 1 MiB/s to 512 GiB/s (`MIN_BWS`/`MAX_BWS`). */
export const QOS_BANDWIDTH_MIN_BYTES_PER_SEC = 1_048_576;
export const QOS_BANDWIDTH_MAX_BYTES_PER_SEC = 549_755_813_888;
/** The `maxBWS` extra spec is in MB/s; the driver multiplies by this (= MIN_BWS). */
export const QOS_BANDWIDTH_BYTES_PER_MB = 1_048_576;

/** Purity names: volumes up to 63 characters, a whole snapshot name up to 96. */
export const VOLUME_NAME_CHARS_MAX = 63;
export const SNAPSHOT_NAME_CHARS_MAX = 96;
/** `volume.name` longer than this is left-truncated so that `-cinder` still fits. */
export const VOLUME_BASE_NAME_CHARS_MAX = 56;
/** Cinder's `volume_name_template` and `snapshot_name_template`. */
export const VOLUME_NAME_PREFIX = 'volume-';
export const SNAPSHOT_NAME_PREFIX = 'snapshot-';
export const CINDER_SUFFIX = '-cinder';
export const UNMANAGED_SUFFIX = '-unmanaged';
/** Host names: the connector's host is cut to this many characters before the uuid. */
export const HOST_NAME_PREFIX_CHARS_MAX = 23;

/** Tags the driver puts on volumes (`TAG_NAMESPACE`), never copied with the volume. */
export const TAG_NAMESPACE = 'openstack-integration.purestorage.com';

/** Purity versions the driver branches on. */
export const PURITY_VERSION_MIN = '6.1.0';
export const PURITY_SAFEMODE_VERSION = '6.3.4';
export const PURITY_NVME_TCP_VERSION_MIN = '6.4.2';
/** From this version NVMe connections carry an `nsid` the driver uses instead of the LUN. */
export const PURITY_NVME_NSID_VERSION = '6.6.0';

/**
 * Waiting for a replica group to appear on a target, for a target to be allowed, for a ghost pod
 * to come online. Cinder retries every 5 s growing exponentially over 36 attempts; its comment
 * promises 180 s. We poll from 100 ms doubling to 5 s and give up after the promised 180 s of
 * waiting, so a healthy array is seen within a fraction of a second.
 */
export const PROPAGATION_POLL_FIRST_MS = 100;
export const PROPAGATION_POLL_MAX_MS = 5_000;
export const PROPAGATION_WAIT_MAX_MS = 180_000;

/** Host creation and connection races are retried this often (`HOST_CREATE_MAX_RETRIES`). */
export const HOST_CONNECT_ATTEMPTS_MAX = 5;
/** First wait between those attempts; it doubles (cinder.utils.retry's interval=1). */
export const HOST_CONNECT_RETRY_FIRST_MS = 1_000;

/** Performance window the stats ask for: the last hour at 30 s resolution (`ONE_HOUR`, `THIRTY_SEC`). */
export const STATS_PERFORMANCE_WINDOW_MS = 3_600_000;
export const STATS_PERFORMANCE_RESOLUTION_MS = 30_000;
/** `space.total_reduction` is missing on Evergreen//One arrays: the driver then uses 999. */
export const STATS_TOTAL_REDUCTION_UNKNOWN = 999;
/** Above this data reduction the array is nearly empty and the configured ratio is used. */
export const STATS_AUTO_OVERSUBSCRIPTION_REDUCTION_MAX = 100;

/** The WWN of a volume is this prefix (Pure's OUI) then its serial. */
export const WWN_PREFIX = '3624a9370';
/** NVMe port the driver puts in portals. */
export const NVME_PORT = 4420;

/** Driver versions Cinder reports (`VERSION` of each class); NBD is Tandem's own driver. */
export const DRIVER_VERSIONS = {
  iscsi: '22.0.iscsi',
  fc: '22.0.fc',
  nvme: '22.0.nvme',
  nbd: '22.0.nbd',
} as const;
