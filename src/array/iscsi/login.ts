// One connection's login (RFC 7143 sections 6 and 11.12): Login Requests in, Login Responses out,
// through SecurityNegotiation (CHAP or none) and LoginOperationalNegotiation to full feature
// phase. Pure: the catalog says who the initiator is, `admit` (the target's session registry)
// creates or joins the session at the end, randomness comes from `random`. A failed step returns
// the failing response; the caller sends it and closes the connection.

import type { IscsiTargetCatalog } from './catalog.js';
import {
  answerMutual,
  type ChapChallenge,
  type Credentials,
  chooseAlgorithm,
  encodeHex,
  newChallenge,
  type RandomSource,
  verifyResponse,
} from './chap.js';
import { LoginStatus, type LoginStatusCode } from './errors.js';
import { ISCSI_CMDSN_WINDOW, ISCSI_LOGIN_PDUS_MAX, ISCSI_PORTAL_GROUP_TAG } from './limits.js';
import { type ConnectionParams, Negotiator, type SessionParams } from './negotiation.js';
import { encodePdu, type LoginFields, Opcode, Stage } from './pdu.js';
import { decodeText, encodeText, TextAssembler, type TextPairs } from './text.js';

export type SessionType = 'Discovery' | 'Normal';

/** What a finished login hands to the session registry. */
export interface LoginResult {
  initiatorName: string;
  /** The Purity host of the initiator, or null for an unknown initiator. */
  host: string | null;
  isid: string;
  /** 0 for a new session, else the session this connection joins. */
  tsih: number;
  cid: number;
  sessionType: SessionType;
  session: SessionParams;
  connection: ConnectionParams;
  /** CmdSN of the login requests: the first command's CmdSN for a new session. */
  cmdSN: number;
  /** StatSN of the first response after login. */
  nextStatSN: number;
}

/** A session a joining connection names (TSIH != 0), as the registry sees it. */
export interface JoinableSession {
  sessionType: SessionType;
  params: SessionParams;
  expCmdSN: number;
  maxCmdSN: number;
}

export type Admission =
  | { tsih: number; expCmdSN: number; maxCmdSN: number }
  | { status: LoginStatusCode; reason: string };

export interface LoginEnv {
  catalog: IscsiTargetCatalog;
  random: RandomSource;
  /** The session with this TSIH, ISID and initiator name, or null. */
  findSession(tsih: number, isid: string, initiatorName: string): JoinableSession | null;
  /** Creates (tsih 0) or joins the session; called once, when the login reaches full feature phase. */
  admit(result: LoginResult): Admission;
  /** StatSN of the connection's first Login Response (any value). */
  initialStatSN: number;
}

export type LoginStep =
  | { kind: 'continue'; response: Buffer[] }
  | { kind: 'fail'; response: Buffer[]; status: LoginStatusCode; reason: string }
  | { kind: 'complete'; response: Buffer[]; result: LoginResult; tsih: number };

type AuthState = 'none' | 'chap-algorithm' | 'chap-response' | 'done';

class LoginFailure {
  constructor(
    readonly status: LoginStatusCode,
    readonly reason: string,
  ) {}
}

function fail(status: LoginStatusCode, reason: string): never {
  throw new LoginFailure(status, reason);
}

export class LoginMachine {
  private stage: number = Stage.SECURITY;
  private first = true;
  private pdus = 0;
  private statSN: number;
  private readonly text = new TextAssembler();
  private negotiator: Negotiator | null = null;
  private auth: AuthState = 'none';
  private challenge: ChapChallenge | null = null;
  private identity: {
    initiatorName: string;
    host: string | null;
    hostCredentials: Credentials | null;
    targetCredentials: Credentials | null;
    isid: string;
    tsih: number;
    cid: number;
    sessionType: SessionType;
    cmdSN: number;
    joining: JoinableSession | null;
  } | null = null;

  constructor(private readonly env: LoginEnv) {
    this.statSN = env.initialStatSN >>> 0;
  }

  /** Handles one Login Request. Never throws for bad input: a failure is a response with a status. */
  step(request: LoginFields, data: Buffer): LoginStep {
    try {
      return this.stepOrFail(request, data);
    } catch (error) {
      if (!(error instanceof LoginFailure)) throw error;
      return {
        kind: 'fail',
        response: this.respond(request, { transit: false, nsg: 0, status: error.status }, []),
        status: error.status,
        reason: error.reason,
      };
    }
  }

  private stepOrFail(request: LoginFields, data: Buffer): LoginStep {
    if (++this.pdus > ISCSI_LOGIN_PDUS_MAX) fail(LoginStatus.INITIATOR_ERROR, 'too many login PDUs');
    if (request.versionMin > 0) fail(LoginStatus.UNSUPPORTED_VERSION, 'only iSCSI version 0 is supported');
    if (request.transit && request.cont) fail(LoginStatus.INITIATOR_ERROR, 'T and C both set');
    const whole = this.text.add(data, request.cont);
    if (typeof whole === 'object' && 'invalid' in whole) fail(LoginStatus.INITIATOR_ERROR, whole.invalid);
    if (whole === 'pending') {
      return { kind: 'continue', response: this.respond(request, { transit: false, nsg: 0, status: 0 }, []) };
    }
    const pairs = decodeText(whole);
    if ('invalid' in pairs) fail(LoginStatus.INITIATOR_ERROR, pairs.invalid);
    const keys = new Map(pairs);
    if (this.first) this.identify(request, keys);
    const identity = this.identity!;
    if (request.isid !== identity.isid || request.tsih !== identity.tsih)
      fail(LoginStatus.INITIATOR_ERROR, 'ISID or TSIH changed during login');
    this.checkStages(request);

    const answers: TextPairs = [];
    if (this.first && identity.sessionType === 'Normal') {
      answers.push(['TargetPortalGroupTag', String(ISCSI_PORTAL_GROUP_TAG)]);
      answers.push(['TargetAlias', this.env.catalog.targetAlias]);
    }
    this.first = false;
    if (request.csg === Stage.SECURITY) this.security(keys, answers);
    else if (this.auth !== 'done') this.skipSecurity();
    const negotiator = this.negotiator!;
    answers.push(...negotiator.answer(pairs));

    const canTransit = request.transit && (request.csg !== Stage.SECURITY || this.auth === 'done');
    if (!canTransit) {
      return {
        kind: 'continue',
        response: this.respond(request, { transit: false, nsg: 0, status: 0 }, answers),
      };
    }
    if (request.nsg !== Stage.FULL_FEATURE) {
      this.stage = request.nsg;
      return {
        kind: 'continue',
        response: this.respond(request, { transit: true, nsg: request.nsg, status: 0 }, answers),
      };
    }
    negotiator.declare(answers);
    negotiator.settle();
    const result: LoginResult = {
      initiatorName: identity.initiatorName,
      host: identity.host,
      isid: identity.isid,
      tsih: identity.tsih,
      cid: identity.cid,
      sessionType: identity.sessionType,
      session: negotiator.session,
      connection: negotiator.connection,
      cmdSN: identity.cmdSN,
      nextStatSN: (this.statSN + 1) >>> 0,
    };
    const admission = this.env.admit(result);
    if ('status' in admission) fail(admission.status, admission.reason);
    const response = this.respond(
      request,
      { transit: true, nsg: Stage.FULL_FEATURE, status: 0, tsih: admission.tsih, sn: admission },
      answers,
    );
    return { kind: 'complete', response, result, tsih: admission.tsih };
  }

  /** First request: who logs in, to what, in which session. */
  private identify(request: LoginFields, keys: Map<string, string>): void {
    const initiatorName = keys.get('InitiatorName');
    if (!initiatorName) fail(LoginStatus.MISSING_PARAMETER, 'InitiatorName missing');
    const type = keys.get('SessionType') ?? 'Normal';
    if (type !== 'Normal' && type !== 'Discovery')
      fail(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, `SessionType=${type}`);
    if (type === 'Normal') {
      const targetName = keys.get('TargetName');
      if (!targetName) fail(LoginStatus.MISSING_PARAMETER, 'TargetName missing in a normal session');
      if (targetName.toLowerCase() !== this.env.catalog.targetName.toLowerCase())
        fail(LoginStatus.TARGET_NOT_FOUND, 'TargetName is not this target');
    }
    let joining: JoinableSession | null = null;
    if (request.tsih !== 0) {
      joining = this.env.findSession(request.tsih, request.isid, initiatorName);
      if (!joining) fail(LoginStatus.SESSION_DOES_NOT_EXIST, `no session with TSIH ${request.tsih}`);
      if (joining.sessionType !== type) fail(LoginStatus.CANT_INCLUDE_IN_SESSION, 'SessionType differs');
    }
    const initiator = this.env.catalog.initiator(initiatorName);
    const chap = initiator?.chap;
    const hostCredentials =
      chap?.hostUser && chap.hostPassword ? { user: chap.hostUser, secret: chap.hostPassword } : null;
    const targetCredentials =
      chap?.targetUser && chap.targetPassword ? { user: chap.targetUser, secret: chap.targetPassword } : null;
    this.identity = {
      initiatorName,
      host: initiator?.host ?? null,
      hostCredentials,
      targetCredentials,
      isid: request.isid,
      tsih: request.tsih,
      cid: request.cid,
      sessionType: type,
      cmdSN: request.cmdSN,
      joining,
    };
    this.negotiator = new Negotiator(joining === null, joining?.params);
    this.stage = request.csg;
  }

  private checkStages(request: LoginFields): void {
    if (request.csg !== this.stage)
      fail(LoginStatus.INVALID_DURING_LOGIN, `CSG ${request.csg} in stage ${this.stage}`);
    if (request.csg !== Stage.SECURITY && request.csg !== Stage.OPERATIONAL)
      fail(LoginStatus.INVALID_DURING_LOGIN, `CSG ${request.csg}`);
    if (!request.transit) return;
    const forward =
      (request.csg === Stage.SECURITY &&
        (request.nsg === Stage.OPERATIONAL || request.nsg === Stage.FULL_FEATURE)) ||
      (request.csg === Stage.OPERATIONAL && request.nsg === Stage.FULL_FEATURE);
    if (!forward)
      fail(LoginStatus.INVALID_DURING_LOGIN, `transit from stage ${request.csg} to ${request.nsg}`);
  }

  /** CHAP is required when the initiator's host has a user and secret, except for discovery. */
  private chapRequired(): boolean {
    const identity = this.identity!;
    return identity.hostCredentials !== null && identity.sessionType === 'Normal';
  }

  /** The initiator went straight to operational negotiation. */
  private skipSecurity(): void {
    if (this.chapRequired())
      fail(LoginStatus.AUTH_FAILURE, 'CHAP required but the initiator skipped security');
    this.auth = 'done';
  }

  private security(keys: Map<string, string>, answers: TextPairs): void {
    const method = keys.get('AuthMethod');
    if (method !== undefined) this.chooseMethod(method, answers);
    const algorithm = keys.get('CHAP_A');
    if (algorithm !== undefined) {
      if (this.auth !== 'chap-algorithm') fail(LoginStatus.AUTH_FAILURE, 'CHAP_A out of sequence');
      if (chooseAlgorithm(algorithm) === null) fail(LoginStatus.AUTH_FAILURE, 'no CHAP algorithm in common');
      this.challenge = newChallenge(this.env.random);
      answers.push(['CHAP_A', '5']);
      answers.push(['CHAP_I', String(this.challenge.identifier)]);
      answers.push(['CHAP_C', encodeHex(this.challenge.challenge)]);
      this.auth = 'chap-response';
      return;
    }
    if (keys.has('CHAP_N') || keys.has('CHAP_R')) {
      if (this.auth !== 'chap-response') fail(LoginStatus.AUTH_FAILURE, 'CHAP_N/CHAP_R out of sequence');
      this.verifyChap(keys, answers);
      return;
    }
    if (this.auth === 'none' && method === undefined && this.chapRequired())
      fail(LoginStatus.AUTH_FAILURE, 'CHAP required but no AuthMethod offered');
    if (this.auth === 'none' && method === undefined) this.auth = 'done';
  }

  private chooseMethod(offer: string, answers: TextPairs): void {
    if (this.auth !== 'none') fail(LoginStatus.AUTH_FAILURE, 'AuthMethod negotiated twice');
    const offered = offer.split(',');
    const canChap = this.identity!.hostCredentials !== null;
    if (canChap && offered.includes('CHAP')) {
      answers.push(['AuthMethod', 'CHAP']);
      this.auth = 'chap-algorithm';
      return;
    }
    if (this.chapRequired()) {
      answers.push(['AuthMethod', 'Reject']);
      fail(LoginStatus.AUTH_FAILURE, 'CHAP required but not offered');
    }
    if (!offered.includes('None'))
      fail(LoginStatus.AUTH_FAILURE, 'the host has no CHAP credentials to check');
    answers.push(['AuthMethod', 'None']);
    this.auth = 'done';
  }

  private verifyChap(keys: Map<string, string>, answers: TextPairs): void {
    const identity = this.identity!;
    const verdict = verifyResponse(
      this.challenge!,
      identity.hostCredentials!,
      keys.get('CHAP_N'),
      keys.get('CHAP_R'),
    );
    if (verdict !== 'ok') fail(LoginStatus.AUTH_FAILURE, `CHAP: ${verdict}`);
    const mutualId = keys.get('CHAP_I');
    const mutualChallenge = keys.get('CHAP_C');
    if (mutualId !== undefined || mutualChallenge !== undefined) {
      if (mutualId === undefined || mutualChallenge === undefined)
        fail(LoginStatus.AUTH_FAILURE, 'mutual CHAP needs both CHAP_I and CHAP_C');
      if (!identity.targetCredentials)
        fail(LoginStatus.AUTH_FAILURE, 'mutual CHAP asked, no target credentials');
      const answer = answerMutual(this.challenge!, identity.targetCredentials, mutualId, mutualChallenge);
      if (!answer.ok) fail(LoginStatus.AUTH_FAILURE, `mutual CHAP: ${answer.reason}`);
      answers.push(['CHAP_N', answer.name]);
      answers.push(['CHAP_R', answer.response]);
    }
    this.auth = 'done';
  }

  private respond(
    request: LoginFields,
    how: {
      transit: boolean;
      nsg: number;
      status: number;
      tsih?: number;
      sn?: { expCmdSN: number; maxCmdSN: number };
    },
    answers: TextPairs,
  ): Buffer[] {
    const joining = this.identity?.joining;
    const sn = how.sn ??
      joining ?? { expCmdSN: request.cmdSN, maxCmdSN: (request.cmdSN + ISCSI_CMDSN_WINDOW - 1) >>> 0 };
    const statSN = this.statSN;
    this.statSN = (this.statSN + 1) >>> 0;
    return encodePdu(
      Opcode.LOGIN_RESPONSE,
      {
        itt: request.itt,
        transit: how.transit,
        cont: false,
        csg: request.csg,
        nsg: how.transit ? how.nsg : 0,
        versionMax: 0,
        versionActive: 0,
        isid: request.isid,
        tsih: how.tsih ?? request.tsih,
        statSN,
        expCmdSN: sn.expCmdSN,
        maxCmdSN: sn.maxCmdSN,
        status: how.status,
      },
      answers.length > 0 ? encodeText(answers) : undefined,
    );
  }
}
