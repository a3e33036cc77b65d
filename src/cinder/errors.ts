// Why the control plane refused a request, as Cinder says it: an HTTP status and Cinder's
// message. The API layer turns these into fault bodies ({"badRequest": {"code", "message"}});
// messages follow Cinder's wording (cinder/exception.py) because operators grep for them.

export type CinderStatus = 400 | 401 | 403 | 404 | 405 | 406 | 409 | 413 | 415 | 500 | 501 | 503;

export class CinderError extends Error {
  constructor(
    readonly status: CinderStatus,
    message: string,
  ) {
    super(message);
    this.name = 'CinderError';
  }
}

export const cinderErrors = {
  volumeNotFound: (id: string) => new CinderError(404, `Volume ${id} could not be found.`),
  snapshotNotFound: (id: string) => new CinderError(404, `Snapshot ${id} could not be found.`),
  typeNotFound: (id: string) => new CinderError(404, `Volume type with id ${id} could not be found.`),
  typeNameNotFound: (name: string) =>
    new CinderError(404, `Volume type with name ${name} could not be found.`),
  qosNotFound: (id: string) => new CinderError(404, `No QoS specs ${id} could be found.`),
  attachmentNotFound: (id: string) => new CinderError(404, `VolumeAttachment ${id} could not be found.`),
  groupNotFound: (id: string) => new CinderError(404, `Group ${id} could not be found.`),
  groupTypeNotFound: (id: string) => new CinderError(404, `Group type ${id} could not be found.`),
  groupSnapshotNotFound: (id: string) => new CinderError(404, `GroupSnapshot ${id} could not be found.`),
  extraSpecNotFound: (typeId: string, key: string) =>
    new CinderError(404, `Volume Type ${typeId} has no extra specs with key ${key}.`),
  invalidInput: (reason: string) => new CinderError(400, `Invalid input received: ${reason}`),
  invalidVolume: (reason: string) => new CinderError(400, `Invalid volume: ${reason}`),
  invalidSnapshot: (reason: string) => new CinderError(400, `Invalid snapshot: ${reason}`),
  invalidVolumeType: (reason: string) => new CinderError(400, `Invalid volume type: ${reason}`),
  invalidGroup: (reason: string) => new CinderError(400, `Invalid group: ${reason}`),
  frozen: () =>
    new CinderError(
      400,
      'Invalid input received: Modification operations are not allowed on frozen storage backends.',
    ),
  noValidBackend: (reason: string) => new CinderError(400, `No valid backend was found. ${reason}`),
  typeExists: (name: string) => new CinderError(409, `Volume Type ${name} already exists.`),
  qosExists: (name: string) => new CinderError(409, `QoS Specs ${name} already exists.`),
  typeInUse: () => new CinderError(400, 'Volume Type is currently in use.'),
  forbidden: (action: string) => new CinderError(403, `Policy doesn't allow ${action} to be performed.`),
  unauthorized: () => new CinderError(401, 'The request you have made requires authentication.'),
  quotaExceeded: (what: string, requested: number, used: number, limit: number) =>
    new CinderError(
      413,
      `VolumeLimitExceeded: Maximum number of ${what} allowed (${limit}) exceeded; requested ${requested}, in use ${used}.`,
    ),
  notImplemented: (what: string) => new CinderError(501, `${what} is not implemented.`),
};
