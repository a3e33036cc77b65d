// Text requests in full feature phase: SendTargets (discovery) answered, other keys NotUnderstood
// (no renegotiation). A request may arrive in several PDUs (C bit) and an answer larger than the
// initiator's MaxRecvDataSegmentLength goes out in parts, each asked for with our TTT.

import { RejectReason } from './errors.js';
import { ISCSI_PORTAL_GROUP_TAG } from './limits.js';
import { encodePdu, Opcode, type RawPdu, RESERVED_TAG, type TextFields } from './pdu.js';
import type { SessionConnection, SessionPort } from './session-context.js';
import { decodeText, encodeText, splitText, TextAssembler, type TextPairs } from './text.js';

/** What text requests need of their session. */
export type TextSession = Pick<SessionPort, 'target' | 'window' | 'newTtt' | 'reject'>;

/** One text exchange in progress on a connection. */
interface TextExchange {
  itt: number;
  assembler: TextAssembler;
  /** Answer parts not yet sent. */
  rest: Buffer[];
  ttt: number;
}

/** The text exchanges of one session, at most one per connection. */
export class SessionTexts {
  private readonly exchanges = new Map<SessionConnection, TextExchange>();

  constructor(private readonly session: TextSession) {}

  handle(conn: SessionConnection, fields: TextFields, raw: RawPdu): void {
    const data = raw.data;
    let state = this.exchanges.get(conn);
    if (fields.ttt !== RESERVED_TAG && state && state.ttt === fields.ttt && state.rest.length > 0) {
      this.sendPart(conn, fields, state);
      return;
    }
    if (!state || state.itt !== fields.itt) {
      state = { itt: fields.itt, assembler: new TextAssembler(), rest: [], ttt: RESERVED_TAG };
      this.exchanges.set(conn, state);
    }
    const whole = state.assembler.add(data, fields.cont);
    if (whole === 'pending') {
      state.ttt = this.session.newTtt();
      this.send(conn, fields, Buffer.alloc(0), false, state.ttt);
      return;
    }
    if (typeof whole === 'object' && 'invalid' in whole) {
      this.exchanges.delete(conn);
      this.session.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
      return;
    }
    const pairs = decodeText(whole);
    if ('invalid' in pairs) {
      this.exchanges.delete(conn);
      this.session.reject(conn, RejectReason.PROTOCOL_ERROR, raw.bhs);
      return;
    }
    state.rest = splitText(encodeText(this.answer(pairs)), conn.params.initiatorMrdslBytes);
    state.ttt = this.session.newTtt();
    this.sendPart(conn, fields, state);
  }

  private answer(pairs: TextPairs): TextPairs {
    const answers: TextPairs = [];
    const { target } = this.session;
    const ours = target.catalog.targetName;
    for (const [key, value] of pairs) {
      if (key === 'SendTargets') {
        const all = value === 'All' || value === '' || value.toLowerCase() === ours.toLowerCase();
        if (all) {
          answers.push(['TargetName', ours]);
          answers.push(['TargetAddress', `${target.portal},${ISCSI_PORTAL_GROUP_TAG}`]);
        }
      } else {
        // Renegotiation in full feature phase is not supported.
        answers.push([key, 'NotUnderstood']);
      }
    }
    return answers;
  }

  private sendPart(conn: SessionConnection, fields: TextFields, state: TextExchange): void {
    const part = state.rest.shift() ?? Buffer.alloc(0);
    const last = state.rest.length === 0;
    if (last) this.exchanges.delete(conn);
    this.send(conn, fields, part, last, last ? RESERVED_TAG : state.ttt);
  }

  private send(conn: SessionConnection, fields: TextFields, data: Buffer, final: boolean, ttt: number): void {
    conn.send(
      encodePdu(
        Opcode.TEXT_RESPONSE,
        {
          itt: fields.itt,
          final,
          cont: !final && data.length > 0,
          lun: 0,
          ttt,
          statSN: conn.takeStatSN(),
          ...this.session.window(),
        },
        data,
      ),
    );
  }
}
