// The errors the FlashArray driver raises, with the messages of Cinder's exceptions (operators
// grep for them) and stable codes for the volume manager. Cinder's manager treats
// InvalidReplicationTarget apart (the service stays failed-over or enabled) and falls back to
// generic groups on NotImplementedError; here those are DriverNotImplemented.
//
// Messages hold array names, volume names and the arrays' own error texts, never an API token:
// tokens live only inside PurityClient, which redacts them from its own errors.

import { errorMessages, type PurityResponse } from '../purity-client/index.js';

export type VolumeDriverErrorCode =
  | 'PURE_DRIVER_FAILURE'
  | 'INVALID_REPLICATION_TARGET'
  | 'INVALID_QOS_SPECS'
  | 'INVALID_VOLUME_TYPE'
  | 'MANAGE_EXISTING_INVALID_REFERENCE'
  | 'NOT_IMPLEMENTED';

export abstract class VolumeDriverError extends Error {
  abstract readonly code: VolumeDriverErrorCode;
}

/** cinder.volume.drivers.pure.PureDriverException. */
export class PureDriverException extends VolumeDriverError {
  readonly code = 'PURE_DRIVER_FAILURE';
  constructor(readonly reason: string) {
    super(`Pure Storage Cinder driver failure: ${reason}`);
    this.name = 'PureDriverException';
  }
}

/** cinder.exception.InvalidReplicationTarget: a failover/failback the driver cannot do. */
export class InvalidReplicationTarget extends VolumeDriverError {
  readonly code = 'INVALID_REPLICATION_TARGET';
  /** `reason` is wrapped as Cinder's template does; `message` is used as it is (Cinder's `message=`). */
  constructor(text: { reason: string } | { message: string }) {
    super('message' in text ? text.message : `Invalid Replication Target: ${text.reason}`);
    this.name = 'InvalidReplicationTarget';
  }
}

/** cinder.exception.InvalidQoSSpecs (the driver passes its own message). */
export class InvalidQoSSpecs extends VolumeDriverError {
  readonly code = 'INVALID_QOS_SPECS';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQoSSpecs';
  }
}

/** cinder.exception.InvalidVolumeType. */
export class InvalidVolumeType extends VolumeDriverError {
  readonly code = 'INVALID_VOLUME_TYPE';
  constructor(reason: string) {
    super(`Invalid volume type: ${reason}`);
    this.name = 'InvalidVolumeType';
  }
}

/** cinder.exception.ManageExistingInvalidReference. */
export class ManageExistingInvalidReference extends VolumeDriverError {
  readonly code = 'MANAGE_EXISTING_INVALID_REFERENCE';
  constructor(reference: unknown, reason: string) {
    super(
      `Manage existing volume failed due to invalid backend reference ${describeRef(reference)}: ${reason}`,
    );
    this.name = 'ManageExistingInvalidReference';
  }
}

/** Python's NotImplementedError: the manager uses its generic implementation instead. */
export class DriverNotImplemented extends VolumeDriverError {
  readonly code = 'NOT_IMPLEMENTED';
  constructor(what: string) {
    super(`${what} is not implemented by the FlashArray driver for this request`);
    this.name = 'DriverNotImplemented';
  }
}

/** PureRetryableException: a race with another writer of hosts; the caller tries again. */
export class PureRetryableException extends Error {
  constructor(readonly reason: string) {
    super(`Retryable Pure Storage Exception encountered: ${reason}`);
    this.name = 'PureRetryableException';
  }
}

/** Longest piece of array error text put into a driver message. */
const ARRAY_TEXT_CHARS_MAX = 300;

/** The array's error messages, joined and bounded, for a driver message. */
export function arrayErrorText(response: PurityResponse<unknown>): string {
  const text = errorMessages(response).join('; ') || `HTTP status ${response.status}`;
  return text.length > ARRAY_TEXT_CHARS_MAX ? `${text.slice(0, ARRAY_TEXT_CHARS_MAX)}...` : text;
}

/** A PureDriverException for a refused array call: what was tried, on which array, and why. */
export function arrayFailure(what: string, arrayName: string, response: PurityResponse<unknown>) {
  return new PureDriverException(`${what} on array ${arrayName} failed: ${arrayErrorText(response)}`);
}

function describeRef(reference: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(reference) ?? String(reference);
  } catch {
    text = String(reference);
  }
  return text.length > ARRAY_TEXT_CHARS_MAX ? `${text.slice(0, ARRAY_TEXT_CHARS_MAX)}...` : text;
}
