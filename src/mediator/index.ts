// The mediator for stretched pods: a server that grants each (pod, epoch) to the first array that
// claims it and remembers that across restarts, and the client arrays use to ask it.

export { type ClaimAnswer, MediatorClient, type MediatorClientOptions } from './client.js';
export { DataDirInUseError, GrantsFileError, MediatorHttpError, PodLimitError } from './errors.js';
export { type ClaimResult, type Grant, GrantTable, NO_HOLDER } from './grants.js';
export { MEDIATOR_API_VERSION, type MediatorOptions, type RunningMediator, startMediator } from './server.js';
