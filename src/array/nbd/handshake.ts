// Option haggling (fixed newstyle): one option in, its replies out, and what happens next.
// Synchronous: the catalog answers at once, so no option is ever half-answered.

import type { BlockDevice, ExportCatalog } from '../engine/block-device.js';
import {
  encodeExportNameReply,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoString,
  encodeOptionReply,
  encodeServerEntry,
  parseExportName,
  parseInfoRequest,
} from './codec.js';
import { type CloseReason, OPTION_INVALID_REASONS } from './errors.js';
import { NBD_BLOCK_MAX_BYTES, NBD_BLOCK_MIN_BYTES, NBD_BLOCK_PREFERRED_BYTES } from './limits.js';
import type { NbdLogger } from './logger.js';
import {
  NBD_FLAG_CAN_MULTI_CONN,
  NBD_FLAG_HAS_FLAGS,
  NBD_FLAG_READ_ONLY,
  NBD_FLAG_SEND_FLUSH,
  NBD_FLAG_SEND_FUA,
  NBD_FLAG_SEND_TRIM,
  NBD_FLAG_SEND_WRITE_ZEROES,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_NAME,
  NBD_OPT_ABORT,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_INFO,
  NBD_OPT_LIST,
  NBD_OPT_STARTTLS,
  NBD_REP_ACK,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
  NBD_REP_INFO,
  NBD_REP_SERVER,
  optionName,
} from './protocol.js';

export type OptionOutcome =
  | { kind: 'continue' }
  | { kind: 'transmit'; device: BlockDevice; exportName: string }
  | { kind: 'close'; reason: CloseReason; detail?: string };

export interface OptionContext {
  catalog: ExportCatalog;
  /** The client agreed to NBD_FLAG_C_NO_ZEROES. */
  noZeroes: boolean;
  logger: NbdLogger;
  send(bytes: Buffer): void;
}

const CONTINUE: OptionOutcome = { kind: 'continue' };

/**
 * Transmission flags for a device. FUA and FLUSH are free (every write is durable on ack), which
 * also makes CAN_MULTI_CONN true: a reply on one connection covers the data for all of them.
 * SEND_FAST_ZERO is not offered: BlockDevice cannot promise that writeZeroes is cheap.
 */
export function transmissionFlags(device: BlockDevice): number {
  const always = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_CAN_MULTI_CONN;
  return device.readOnly
    ? always | NBD_FLAG_READ_ONLY
    : always | NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES;
}

export function answerOption(option: number, payload: Buffer, context: OptionContext): OptionOutcome {
  const reply = (type: number, body?: Buffer | string) => context.send(encodeOptionReply(option, type, body));
  switch (option) {
    case NBD_OPT_EXPORT_NAME:
      return exportName(payload, context);
    case NBD_OPT_ABORT:
      reply(NBD_REP_ACK);
      return { kind: 'close', reason: 'client-abort' };
    case NBD_OPT_LIST:
      if (payload.length !== 0) {
        reply(NBD_REP_ERR_INVALID, OPTION_INVALID_REASONS['payload-unexpected']);
        return CONTINUE;
      }
      for (const name of context.catalog.list()) reply(NBD_REP_SERVER, encodeServerEntry(name));
      reply(NBD_REP_ACK);
      return CONTINUE;
    case NBD_OPT_INFO:
    case NBD_OPT_GO:
      return infoOrGo(option, payload, context);
    case NBD_OPT_STARTTLS:
      reply(NBD_REP_ERR_POLICY, 'TLS is not offered by this server');
      return CONTINUE;
    default:
      // Also STRUCTURED_REPLY, LIST/SET_META_CONTEXT and EXTENDED_HEADERS: we speak simple replies only.
      reply(NBD_REP_ERR_UNSUP, `${optionName(option)} is not supported`);
      return CONTINUE;
  }
}

function exportName(payload: Buffer, context: OptionContext): OptionOutcome {
  const parsed = parseExportName(payload);
  if (typeof parsed === 'string') {
    return { kind: 'close', reason: 'export-name-refused', detail: OPTION_INVALID_REASONS[parsed] };
  }
  const name = parsed.exportName;
  const opened = openExport(name, context);
  if (!('device' in opened)) return { kind: 'close', reason: 'export-name-refused', detail: opened.text };
  const { device } = opened;
  context.send(encodeExportNameReply(device.sizeBytes, transmissionFlags(device), context.noZeroes));
  return { kind: 'transmit', device, exportName: name };
}

function infoOrGo(option: number, payload: Buffer, context: OptionContext): OptionOutcome {
  const reply = (type: number, body?: Buffer | string) => context.send(encodeOptionReply(option, type, body));
  const request = parseInfoRequest(payload);
  if (typeof request === 'string') {
    reply(NBD_REP_ERR_INVALID, OPTION_INVALID_REASONS[request]);
    return CONTINUE;
  }
  const { exportName: name, infoTypes } = request;
  const opened = openExport(name, context);
  if (!('device' in opened)) {
    reply(opened.replyType, opened.text);
    return CONTINUE;
  }
  const { device } = opened;
  reply(NBD_REP_INFO, encodeInfoExport(device.sizeBytes, transmissionFlags(device)));
  for (const infoType of new Set(infoTypes)) {
    const info = encodeRequestedInfo(infoType, name, device);
    if (info !== undefined) reply(NBD_REP_INFO, info);
  }
  reply(NBD_REP_ACK);
  if (option === NBD_OPT_GO) return { kind: 'transmit', device, exportName: name };
  device.close();
  return CONTINUE;
}

/** Information the client asked for; unknown types are ignored, as the spec allows. */
function encodeRequestedInfo(infoType: number, name: string, device: BlockDevice): Buffer | undefined {
  switch (infoType) {
    case NBD_INFO_NAME:
      return encodeInfoString(NBD_INFO_NAME, name);
    case NBD_INFO_DESCRIPTION: {
      const access = device.readOnly ? 'read-only' : 'read-write';
      return encodeInfoString(NBD_INFO_DESCRIPTION, `Tandem volume ${device.name} (${access})`);
    }
    case NBD_INFO_BLOCK_SIZE:
      return encodeInfoBlockSize(NBD_BLOCK_MIN_BYTES, NBD_BLOCK_PREFERRED_BYTES, NBD_BLOCK_MAX_BYTES);
    default:
      return undefined;
  }
}

type Opened = { device: BlockDevice } | { replyType: number; text: string };

/**
 * The catalog gives one answer for "no such export" and "exists but may not be opened"; a name
 * that list() shows but open() refuses is a policy refusal (libnbd reports EPERM, not ENOENT).
 */
function openExport(name: string, context: OptionContext): Opened {
  try {
    const opened = context.catalog.open(name);
    if (!('refused' in opened)) return { device: opened };
    const listed = context.catalog.list().includes(name);
    return {
      replyType: listed ? NBD_REP_ERR_POLICY : NBD_REP_ERR_UNKNOWN,
      text: `export '${name}': ${opened.refused}`,
    };
  } catch (error) {
    context.logger.error({ err: error, exportName: name }, 'nbd: export catalog failed');
    return { replyType: NBD_REP_ERR_UNKNOWN, text: `export '${name}' cannot be opened now` };
  }
}
