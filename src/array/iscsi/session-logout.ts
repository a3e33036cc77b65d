// Logout in full feature phase: close the session, or one of its connections. Error recovery
// level 0 has nothing to recover, so "remove the connection for recovery" is refused.

import { LogoutResponse } from './errors.js';
import { encodePdu, type LogoutFields, Opcode } from './pdu.js';
import type { SessionConnection, SessionPort } from './session-context.js';

/** What logout needs of its session. */
export type LogoutSession = Pick<SessionPort, 'connections' | 'window' | 'abortWhere' | 'end'>;

/** Logout reason codes (RFC 7143 11.14.1). */
const LOGOUT_CLOSE_SESSION = 0;
const LOGOUT_CLOSE_CONNECTION = 1;

export function logout(session: LogoutSession, conn: SessionConnection, fields: LogoutFields): void {
  const respond = (response: number) =>
    conn.send(
      encodePdu(Opcode.LOGOUT_RESPONSE, {
        itt: fields.itt,
        response,
        statSN: conn.takeStatSN(),
        ...session.window(),
        time2Wait: 0,
        time2Retain: 0,
      }),
    );
  if (fields.reason === LOGOUT_CLOSE_SESSION) {
    respond(LogoutResponse.CLOSED);
    session.end('logout');
    return;
  }
  if (fields.reason === LOGOUT_CLOSE_CONNECTION) {
    const target = session.connections.get(fields.cid);
    if (!target) {
      respond(LogoutResponse.CID_NOT_FOUND);
      return;
    }
    // Error recovery level 0: the connection's tasks cannot move to another connection.
    session.abortWhere((_task, owner) => owner === target);
    respond(LogoutResponse.CLOSED);
    session.connections.delete(fields.cid);
    target.close('logout');
    if (session.connections.size === 0) session.end('logout');
    return;
  }
  respond(LogoutResponse.RECOVERY_NOT_SUPPORTED);
}
