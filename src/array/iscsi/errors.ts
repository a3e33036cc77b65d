// The iSCSI transport's catalogue: login status codes, Reject reasons, task management responses,
// why a connection was closed and why a PDU could not be framed. Codes are the RFC's; texts explain.

/** Login Response Status-Class << 8 | Status-Detail (RFC 7143 section 11.13.5). */
export const LoginStatus = {
  SUCCESS: 0x0000,
  INITIATOR_ERROR: 0x0200,
  AUTH_FAILURE: 0x0201,
  AUTHORIZATION_FAILURE: 0x0202,
  TARGET_NOT_FOUND: 0x0203,
  UNSUPPORTED_VERSION: 0x0205,
  TOO_MANY_CONNECTIONS: 0x0206,
  MISSING_PARAMETER: 0x0207,
  CANT_INCLUDE_IN_SESSION: 0x0208,
  SESSION_TYPE_NOT_SUPPORTED: 0x0209,
  SESSION_DOES_NOT_EXIST: 0x020a,
  INVALID_DURING_LOGIN: 0x020b,
  TARGET_ERROR: 0x0300,
  OUT_OF_RESOURCES: 0x0302,
} as const;
export type LoginStatusCode = (typeof LoginStatus)[keyof typeof LoginStatus];

/** Reject PDU reasons (RFC 7143 section 11.17.1). */
export const RejectReason = {
  DATA_DIGEST_ERROR: 0x02,
  SNACK_REJECT: 0x03,
  PROTOCOL_ERROR: 0x04,
  COMMAND_NOT_SUPPORTED: 0x05,
  IMMEDIATE_COMMAND_REJECTED: 0x06,
  TASK_IN_PROGRESS: 0x07,
  INVALID_PDU_FIELD: 0x09,
  OUT_OF_RESOURCES: 0x0a,
  WAITING_FOR_LOGOUT: 0x0c,
} as const;

/** Task Management Function Response codes (RFC 7143 section 11.6.1). */
export const TmfResponse = {
  FUNCTION_COMPLETE: 0,
  TASK_DOES_NOT_EXIST: 1,
  LUN_DOES_NOT_EXIST: 2,
  TASK_STILL_ALLEGIANT: 3,
  REASSIGNMENT_NOT_SUPPORTED: 4,
  NOT_SUPPORTED: 5,
  AUTHORIZATION_FAILED: 6,
  REJECTED: 255,
} as const;

/** Logout Response codes (RFC 7143 section 11.15.1). */
export const LogoutResponse = {
  CLOSED: 0,
  CID_NOT_FOUND: 1,
  RECOVERY_NOT_SUPPORTED: 2,
  CLEANUP_FAILED: 3,
} as const;

/** Why a byte stream could not be cut into a PDU: the connection is closed, it cannot resynchronise. */
export const FRAME_INVALID_REASONS = {
  'reserved-bit-set': 'byte 0 bit 7 of the BHS is reserved and must be 0',
  'target-opcode': 'the PDU carries an opcode only a target may send',
  'data-segment-too-long': 'DataSegmentLength exceeds the MaxRecvDataSegmentLength we declared',
  'header-digest': 'the header digest (CRC32C) does not match: its lengths cannot be trusted',
} as const;
export type FrameInvalidReason = keyof typeof FRAME_INVALID_REASONS;

/** Why a connection was ended. */
export const CLOSE_REASONS = {
  'frame-invalid': 'a PDU could not be framed; the stream cannot be resynchronised',
  'login-failed': 'login answered with a non-zero status',
  'login-protocol-error': 'a PDU other than a Login Request before full feature phase',
  'login-timeout': 'login did not reach full feature phase within ISCSI_LOGIN_TIMEOUT_MS',
  'protocol-error': 'a PDU the session cannot accept in its state (e.g. a Login Request after login)',
  logout: 'peer: logged out',
  'session-closed': 'another connection closed the session (logout, reinstatement or error)',
  'target-cold-reset': 'TARGET COLD RESET: every connection is dropped',
  'nop-timeout': 'a NOP-In ping of ours went unanswered for ISCSI_NOP_IN_RESPONSE_TIMEOUT_MS',
  'peer-closed': 'peer: connection closed or reset',
  'server-shutdown': 'the server is closing',
  'internal-error': 'a bug in the iSCSI transport; the connection is closed, the process lives',
} as const;
export type CloseReason = keyof typeof CLOSE_REASONS;

/** Why a SCSI command's data-out phase failed: the command ends in CHECK CONDITION. */
export const DATA_OUT_INVALID_REASONS = {
  'datasn-unexpected': 'Data-Out DataSN is not the next of its sequence',
  'offset-unexpected': 'Data-Out Buffer Offset is not where the previous PDU ended',
  'unsolicited-not-allowed': 'unsolicited Data-Out while InitialR2T=Yes or after F=1',
  'unsolicited-too-long': 'immediate and unsolicited data exceed FirstBurstLength or the EDTL',
  'ttt-unknown': 'Data-Out Target Transfer Tag names no outstanding R2T of the task',
  'burst-overrun': 'Data-Out goes beyond the R2T it answers',
  'final-early': 'F bit before the sequence was complete',
} as const;
export type DataOutInvalidReason = keyof typeof DATA_OUT_INVALID_REASONS;
