// Why an operation on the array's objects was refused. Messages follow Purity's wording closely
// enough that clients matching substrings (the Cinder driver does) react as they do with a real array.

export type ObjectErrorKind =
  | 'not-found'
  | 'exists'
  | 'destroyed'
  | 'not-destroyed'
  | 'in-use'
  | 'has-connections'
  | 'invalid'
  | 'not-member';

export class ObjectError extends Error {
  constructor(
    readonly kind: ObjectErrorKind,
    /** The object the error is about (Purity's `context`). */
    readonly context: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ObjectError';
  }
}

export const objectErrors = {
  notFound: (what: string, name: string) => new ObjectError('not-found', name, `${what} does not exist.`),
  exists: (what: string, name: string) => new ObjectError('exists', name, `${what} already exists.`),
  destroyed: (what: string, name: string) =>
    new ObjectError('destroyed', name, `${what} has been destroyed.`),
  notDestroyed: (what: string, name: string) =>
    new ObjectError('not-destroyed', name, `${what} must be destroyed before it can be eradicated.`),
  inUse: (what: string, value: string, owner: string) =>
    new ObjectError('in-use', value, `The ${what} ${value} is already in use by host ${owner}.`),
  hostHasConnections: (name: string) =>
    new ObjectError('has-connections', name, 'Host cannot be deleted due to existing connections.'),
  groupNotEmpty: (name: string) =>
    new ObjectError(
      'has-connections',
      name,
      'Host group cannot be deleted because it is not empty or has connections.',
    ),
  invalid: (context: string | null, message: string) => new ObjectError('invalid', context, message),
  connectionExists: (host: string, volume: string) =>
    new ObjectError('exists', volume, `Connection between ${host} and ${volume} already exists.`),
  connectionNotFound: (host: string, volume: string) =>
    new ObjectError('not-found', volume, `Connection between ${host} and ${volume} does not exist.`),
  noSuchVolumeOrSnapshot: (name: string) => new ObjectError('not-found', name, 'No such volume or snapshot.'),
};
