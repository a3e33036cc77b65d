// One request handed to the device. Objects are pooled per session and carry callbacks made once,
// so the data path creates no closure per request.

import type { BlockDevice } from '../engine/block-device.js';
import type { RequestHeader } from './codec.js';
import {
  NBD_CMD_FLUSH,
  NBD_CMD_READ,
  NBD_CMD_TRIM,
  NBD_CMD_WRITE,
  NBD_CMD_WRITE_ZEROES,
} from './protocol.js';

export type RequestCompletion = (request: Request, data: Buffer | undefined) => void;
export type RequestFailure = (request: Request, error: unknown) => void;

export class Request {
  command = 0;
  offsetBytes = 0;
  cookieHi = 0;
  cookieLo = 0;
  lengthBytes = 0;
  /** READ/WRITE bytes this request holds in memory, counted against the in-flight budget. */
  payloadBytes = 0;
  /** A WRITE's data, kept until the write settles (its buffer may then be reused). */
  payload: Buffer | undefined = undefined;
  readonly onDone: () => void;
  readonly onRead: (data: Buffer) => void;
  readonly onError: (error: unknown) => void;

  constructor(complete: RequestCompletion, fail: RequestFailure) {
    this.onDone = () => complete(this, undefined);
    this.onRead = (data) => complete(this, data);
    this.onError = (error) => fail(this, error);
  }

  begin(header: RequestHeader, payloadBytes: number): void {
    this.command = header.command;
    this.offsetBytes = header.offsetBytes;
    this.cookieHi = header.cookieHi;
    this.cookieLo = header.cookieLo;
    this.lengthBytes = header.lengthBytes;
    this.payloadBytes = payloadBytes;
  }

  /**
   * Hands the (validated) request to the device; exactly one of onDone/onRead/onError follows,
   * possibly before this returns (a read may answer synchronously, a device may throw).
   */
  start(device: BlockDevice, payload: Buffer | undefined): void {
    const { command, offsetBytes, lengthBytes } = this;
    this.payload = payload;
    try {
      if (command === NBD_CMD_READ) {
        const data = device.read(offsetBytes, lengthBytes);
        if (Buffer.isBuffer(data)) this.onRead(data);
        else data.then(this.onRead, this.onError);
      } else if (command === NBD_CMD_WRITE) {
        device.write(offsetBytes, payload!).then(this.onDone, this.onError);
      } else if (command === NBD_CMD_FLUSH) {
        device.flush().then(this.onDone, this.onError);
      } else if (command === NBD_CMD_TRIM) {
        device.trim(offsetBytes, lengthBytes).then(this.onDone, this.onError);
      } else if (command === NBD_CMD_WRITE_ZEROES) {
        // NO_HOLE needs nothing: writeZeroes is correct whether or not it deallocates.
        device.writeZeroes(offsetBytes, lengthBytes).then(this.onDone, this.onError);
      } else {
        throw new Error(`command ${command} reached the device unvalidated`);
      }
    } catch (error) {
      // Only the device's own throws land here: the completion callbacks catch their own.
      this.onError(error);
    }
  }
}
