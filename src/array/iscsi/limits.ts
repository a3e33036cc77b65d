// Limits of the iSCSI transport, each with its unit and the reason for its value. The SCSI layer's
// limits (transfer lengths, block counts) live in scsi/.

/** TCP port iSCSI uses when a portal names none (RFC 7143 section 13). */
export const ISCSI_DEFAULT_PORT = 3260;

/** Our one target portal group; a FlashArray reports 1 as well. Sent in the first login response. */
export const ISCSI_PORTAL_GROUP_TAG = 1;

/** Basic Header Segment size (fixed by the RFC). */
export const BHS_BYTES = 48;

/**
 * MaxRecvDataSegmentLength we declare: the largest data segment one PDU may bring us. 256 KiB is
 * what libiscsi and open-iscsi offer themselves; larger values only enlarge per-PDU buffers.
 */
export const ISCSI_TARGET_MRDSL_BYTES = 256 * 1024;

/** Before the initiator declares otherwise (and during login, always) a data segment is at most this. */
export const ISCSI_DEFAULT_MRDSL_BYTES = 8192;

/** The RFC's range for MaxRecvDataSegmentLength / MaxBurstLength / FirstBurstLength. */
export const ISCSI_SEGMENT_MIN_BYTES = 512;
export const ISCSI_SEGMENT_MAX_BYTES = 0xffffff;

/** Our MaxBurstLength ceiling: one R2T solicits at most this (1 MiB keeps R2T round trips rare). */
export const ISCSI_MAX_BURST_BYTES = 1024 * 1024;

/** Our FirstBurstLength ceiling: immediate + unsolicited data of one command (held before R2T). */
export const ISCSI_FIRST_BURST_BYTES = 256 * 1024;

/** Our MaxOutstandingR2T ceiling per task: a few bursts in flight hide the round trip. */
export const ISCSI_MAX_OUTSTANDING_R2T = 4;

/**
 * CmdSN window (MaxCmdSN - ExpCmdSN + 1) when nothing is pending: the session's queue depth.
 * qemu uses up to 128 requests in flight; more only queues in our memory.
 */
export const ISCSI_CMDSN_WINDOW = 128;

/** Tasks (commands being received, executed or answered) a session may hold; = the window. */
export const ISCSI_SESSION_TASKS_MAX = ISCSI_CMDSN_WINDOW;

/** Data-out bytes one session may be collecting at once (its tasks' buffers), before it stops reading. */
export const ISCSI_SESSION_DATA_OUT_MAX_BYTES = 128 * 1024 * 1024;

/** Output bytes queued on one connection before it stops reading (backpressure). */
export const ISCSI_CONNECTION_OUTPUT_MAX_BYTES = 64 * 1024 * 1024;

/** Connections in one session (MC/S); libiscsi and open-iscsi use 1, a custom client may use more. */
export const ISCSI_MAX_CONNECTIONS = 4;

/** Sessions the target holds at once (each costs buffers); more logins get 0x0302 out of resources. */
export const ISCSI_SESSIONS_MAX = 1024;

/** Key=value text gathered over continued (C bit) login or text PDUs. */
export const ISCSI_TEXT_MAX_BYTES = 64 * 1024;

/** Key names are at most 63 bytes (RFC 7143 section 6.1). */
export const ISCSI_KEY_MAX_BYTES = 63;
/** Values are at most 255 bytes, except binary (CHAP) values ... */
export const ISCSI_VALUE_MAX_BYTES = 255;
/** ... which may be up to 8192 bytes (libiscsi allows a 2048-hex-digit CHAP_C). */
export const ISCSI_BINARY_VALUE_MAX_BYTES = 8192;

/** Login PDUs per connection before we give up on an initiator that never finishes. */
export const ISCSI_LOGIN_PDUS_MAX = 32;

/** A connection that has not reached full feature phase after this long is closed. */
export const ISCSI_LOGIN_TIMEOUT_MS = 15_000;

/** CHAP challenge we send: RFC 1994 wants it unpredictable; 16 bytes is what the RFC 7143 asks at least. */
export const ISCSI_CHAP_CHALLENGE_BYTES = 32;

/** Initiator CHAP challenges shorter than this are refused (RFC 7143 section 12.1.3). */
export const ISCSI_CHAP_CHALLENGE_MIN_BYTES = 16;

/** After the target ends a connection, the peer has this long to close its side before a reset. */
export const ISCSI_CLOSE_LINGER_MS = 5_000;

/** Socket buffer watermark: Node's 16 KiB default would report backpressure after a few Data-In. */
export const ISCSI_SOCKET_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * A full-feature connection quiet for this long gets a NOP-In ping (LIO's nopin_timeout default).
 * An initiator with I/O in flight is never quiet this long.
 */
export const ISCSI_NOP_IN_INTERVAL_MS = 15_000;

/** A ping unanswered for this long closes the connection (LIO's nopin_response_timeout default). */
export const ISCSI_NOP_IN_RESPONSE_TIMEOUT_MS = 30_000;
