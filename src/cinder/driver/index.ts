// The volume drivers of the control plane: the interface the volume manager calls, and the
// FlashArray driver that implements it over the arrays' REST API.

export type { DriverLogger, FlashArrayDriverOptions, InitiatorDataStore } from './context.js';
export {
  DriverNotImplemented,
  InvalidQoSSpecs,
  InvalidReplicationTarget,
  InvalidVolumeType,
  ManageExistingInvalidReference,
  PureDriverException,
  VolumeDriverError,
  type VolumeDriverErrorCode,
} from './errors.js';
export { createFlashArrayDriver, FlashArrayDriver } from './flasharray-driver.js';
export { GENERATED_HOST_NAME, purityHostName, purityVolumeName } from './names.js';
export { isReplicatedType, type ReplicationKind, replicationKindOf } from './type-specs.js';
export type * from './volume-driver.js';
