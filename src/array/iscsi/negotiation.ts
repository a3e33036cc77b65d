// Operational text keys of login (RFC 7143 sections 6 and 13): each key's type, our offer and its
// result function. The initiator proposes, we answer with the result (or Reject, Irrelevant,
// NotUnderstood); declarative keys get no answer except our own MaxRecvDataSegmentLength, which
// we declare once. Pure: no I/O, no state beyond one login's answers.

import {
  ISCSI_DEFAULT_MRDSL_BYTES,
  ISCSI_FIRST_BURST_BYTES,
  ISCSI_MAX_BURST_BYTES,
  ISCSI_MAX_CONNECTIONS,
  ISCSI_MAX_OUTSTANDING_R2T,
  ISCSI_SEGMENT_MAX_BYTES,
  ISCSI_SEGMENT_MIN_BYTES,
  ISCSI_TARGET_MRDSL_BYTES,
} from './limits.js';
import type { TextPairs } from './text.js';

/** Session-wide results (negotiated on the leading connection). */
export interface SessionParams {
  maxConnections: number;
  initialR2T: boolean;
  immediateData: boolean;
  maxBurstLength: number;
  firstBurstLength: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  maxOutstandingR2T: number;
  dataPduInOrder: boolean;
  dataSequenceInOrder: boolean;
  errorRecoveryLevel: number;
}

/** Connection-only results. */
export interface ConnectionParams {
  /** What the initiator can receive per PDU: Data-In and text responses are cut to this. */
  initiatorMrdslBytes: number;
  /** What we declared we receive per PDU. */
  targetMrdslBytes: number;
  /** CRC32C after each PDU's header (HeaderDigest=CRC32C), from the PDU after login on. */
  headerDigest: boolean;
  /** CRC32C after each data segment (DataDigest=CRC32C), from the PDU after login on. */
  dataDigest: boolean;
}

/** RFC 7143 defaults: what holds for a key nobody mentioned. */
export function defaultSessionParams(): SessionParams {
  return {
    maxConnections: 1,
    initialR2T: true,
    immediateData: true,
    maxBurstLength: 262144,
    firstBurstLength: 65536,
    defaultTime2Wait: 2,
    defaultTime2Retain: 20,
    maxOutstandingR2T: 1,
    dataPduInOrder: true,
    dataSequenceInOrder: true,
    errorRecoveryLevel: 0,
  };
}

type NumberKey = {
  [K in keyof SessionParams]: SessionParams[K] extends number ? K : never;
}[keyof SessionParams];
type BooleanKey = {
  [K in keyof SessionParams]: SessionParams[K] extends boolean ? K : never;
}[keyof SessionParams];

type DigestKey = 'headerDigest' | 'dataDigest';

type KeyRule =
  | { kind: 'min' | 'max'; param: NumberKey; ours: number; low: number; high: number }
  | { kind: 'or' | 'and'; param: BooleanKey | null; ours: boolean }
  | { kind: 'list'; supported: readonly string[]; param?: DigestKey }
  | { kind: 'irrelevant' };

/** Keys every session negotiates on its leading connection (LO in the RFC's tables). */
const SESSION_KEYS: Readonly<Record<string, KeyRule>> = {
  MaxConnections: { kind: 'min', param: 'maxConnections', ours: ISCSI_MAX_CONNECTIONS, low: 1, high: 65535 },
  // We accept unsolicited data (InitialR2T=No), so the OR result is whatever the initiator says.
  InitialR2T: { kind: 'or', param: 'initialR2T', ours: false },
  ImmediateData: { kind: 'and', param: 'immediateData', ours: true },
  MaxBurstLength: {
    kind: 'min',
    param: 'maxBurstLength',
    ours: ISCSI_MAX_BURST_BYTES,
    low: ISCSI_SEGMENT_MIN_BYTES,
    high: ISCSI_SEGMENT_MAX_BYTES,
  },
  FirstBurstLength: {
    kind: 'min',
    param: 'firstBurstLength',
    ours: ISCSI_FIRST_BURST_BYTES,
    low: ISCSI_SEGMENT_MIN_BYTES,
    high: ISCSI_SEGMENT_MAX_BYTES,
  },
  DefaultTime2Wait: { kind: 'max', param: 'defaultTime2Wait', ours: 2, low: 0, high: 3600 },
  // Error recovery level 0 retains nothing after a connection fails.
  DefaultTime2Retain: { kind: 'min', param: 'defaultTime2Retain', ours: 0, low: 0, high: 3600 },
  MaxOutstandingR2T: {
    kind: 'min',
    param: 'maxOutstandingR2T',
    ours: ISCSI_MAX_OUTSTANDING_R2T,
    low: 1,
    high: 65535,
  },
  // We process data in order only; OR with Yes is Yes whatever the initiator says.
  DataPDUInOrder: { kind: 'or', param: 'dataPduInOrder', ours: true },
  DataSequenceInOrder: { kind: 'or', param: 'dataSequenceInOrder', ours: true },
  ErrorRecoveryLevel: { kind: 'min', param: 'errorRecoveryLevel', ours: 0, low: 0, high: 2 },
};

/**
 * Keys each connection negotiates. Digests: the first value of the initiator's list that we
 * support (RFC 7143 section 13.1): CRC32C when it prefers it, None when it prefers that.
 */
const CONNECTION_KEYS: Readonly<Record<string, KeyRule>> = {
  HeaderDigest: { kind: 'list', supported: ['None', 'CRC32C'], param: 'headerDigest' },
  DataDigest: { kind: 'list', supported: ['None', 'CRC32C'], param: 'dataDigest' },
  // RFC 3720 markers, still offered by open-iscsi and libiscsi: AND with No is No.
  IFMarker: { kind: 'and', param: null, ours: false },
  OFMarker: { kind: 'and', param: null, ours: false },
  IFMarkInt: { kind: 'irrelevant' },
  OFMarkInt: { kind: 'irrelevant' },
};

/** Keys login handles itself (security, names), not answered here. */
export const LOGIN_KEYS = new Set([
  'AuthMethod',
  'CHAP_A',
  'CHAP_I',
  'CHAP_C',
  'CHAP_N',
  'CHAP_R',
  'InitiatorName',
  'TargetName',
  'InitiatorAlias',
  'SessionType',
]);

/** Parses a numeric value: decimal or 0x hex (RFC 7143 section 5.1), or null. */
export function parseNumber(value: string): number | null {
  if (/^[0-9]{1,10}$/.test(value)) return Number(value);
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(value)) return Number.parseInt(value.slice(2), 16);
  return null;
}

function parseBoolean(value: string): boolean | null {
  return value === 'Yes' ? true : value === 'No' ? false : null;
}

const yesNo = (value: boolean): string => (value ? 'Yes' : 'No');

/** One login's operational negotiation: the answers given and the results so far. */
export class Negotiator {
  readonly session: SessionParams;
  readonly connection: ConnectionParams = {
    initiatorMrdslBytes: ISCSI_DEFAULT_MRDSL_BYTES,
    targetMrdslBytes: ISCSI_TARGET_MRDSL_BYTES,
    headerDigest: false,
    dataDigest: false,
  };
  private declaredMrdsl = false;

  /**
   * @param leading whether this connection starts the session (a joining connection answers
   *   session-wide keys with Irrelevant and keeps the session's values).
   */
  constructor(
    private readonly leading: boolean,
    session?: SessionParams,
  ) {
    this.session = { ...(session ?? defaultSessionParams()) };
  }

  /** Answers the operational keys of one request (keys in LOGIN_KEYS are skipped). */
  answer(pairs: TextPairs): TextPairs {
    const answers: TextPairs = [];
    for (const [key, value] of pairs) {
      if (LOGIN_KEYS.has(key)) continue;
      const reply = this.answerKey(key, value);
      if (reply !== null) answers.push([key, reply]);
      if (key === 'MaxRecvDataSegmentLength') this.declare(answers);
    }
    return answers;
  }

  /** Adds our MaxRecvDataSegmentLength to `answers` unless already declared in this login. */
  declare(answers: TextPairs): void {
    if (this.declaredMrdsl) return;
    this.declaredMrdsl = true;
    answers.push(['MaxRecvDataSegmentLength', String(this.connection.targetMrdslBytes)]);
  }

  /** Results that depend on several keys; call when login ends. */
  settle(): void {
    const s = this.session;
    if (s.firstBurstLength > s.maxBurstLength) s.firstBurstLength = s.maxBurstLength;
  }

  private answerKey(key: string, value: string): string | null {
    if (key === 'MaxRecvDataSegmentLength') {
      const bytes = parseNumber(value);
      if (bytes === null || bytes < ISCSI_SEGMENT_MIN_BYTES || bytes > ISCSI_SEGMENT_MAX_BYTES)
        return 'Reject';
      this.connection.initiatorMrdslBytes = bytes;
      return null; // declarative
    }
    const sessionRule = SESSION_KEYS[key];
    if (sessionRule) return this.leading ? this.apply(sessionRule, value) : 'Irrelevant';
    const connectionRule = CONNECTION_KEYS[key];
    if (connectionRule) return this.apply(connectionRule, value);
    // Keys only a target sends, or only valid in full feature phase.
    if (key === 'TargetAlias' || key === 'TargetAddress' || key === 'TargetPortalGroupTag') return 'Reject';
    if (key === 'SendTargets') return 'Irrelevant';
    return 'NotUnderstood';
  }

  private apply(rule: KeyRule, value: string): string {
    switch (rule.kind) {
      case 'irrelevant':
        return 'Irrelevant';
      case 'list': {
        const chosen = value.split(',').find((v) => rule.supported.includes(v));
        if (chosen === undefined) return 'Reject';
        if (rule.param) this.connection[rule.param] = chosen === 'CRC32C';
        return chosen;
      }
      case 'or':
      case 'and': {
        const offered = parseBoolean(value);
        if (offered === null) return 'Reject';
        const result = rule.kind === 'or' ? offered || rule.ours : offered && rule.ours;
        if (rule.param) this.session[rule.param] = result;
        return yesNo(result);
      }
      case 'min':
      case 'max': {
        const offered = parseNumber(value);
        if (offered === null || offered < rule.low || offered > rule.high) return 'Reject';
        const result = rule.kind === 'min' ? Math.min(offered, rule.ours) : Math.max(offered, rule.ours);
        this.session[rule.param] = result;
        return String(result);
      }
    }
  }
}
