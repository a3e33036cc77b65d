// The replication link's public surface: frames, the link, the hello, listener, dialer, connector.

export { type DialOptions, type DialResult, dialPeer } from './dialer.js';
export {
  FRAME_INVALID_REASONS,
  type FrameInvalidReason,
  LINK_CLOSE_REASONS,
  LINK_CONNECT_FAILURES,
  LinkClosedError,
  type LinkCloseReason,
  LinkConnectError,
  type LinkConnectFailure,
  LinkProtocolError,
  LinkRefusedError,
  RemoteError,
} from './errors.js';
export {
  type EncodedFrame,
  encodeFrame,
  FRAME_VERSION,
  type Frame,
  FrameDecoder,
  type FrameHeader,
  type FrameKind,
  type OutgoingFrame,
} from './frame.js';
export {
  type ArrayIdentity,
  type AuthorizeResult,
  connectionKeysMatch,
  type Hello,
  type HelloRefusalCode,
  REPLICATION_TYPES,
  type ReplicationType,
} from './handshake.js';
export {
  type LinkCounters,
  type LinkReply,
  type LinkResponse,
  type LinkState,
  type MessageHandler,
  ReplicationLink,
  type ReplicationLinkOptions,
  type RequestHandler,
} from './link.js';
export { type ListenAddress, ReplicationListener, type ReplicationListenerOptions } from './listener.js';
export { type LinkLogger, silentLinkLogger } from './logger.js';
export {
  PeerConnector,
  type PeerConnectorOptions,
  type PeerConnectorState,
} from './peer-connector.js';
