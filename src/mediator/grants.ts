// Which array holds each split (epoch) of each stretched pod: the mediator's whole state, with no
// I/O. The rule: an epoch goes to the first array that claims it, and never to another one. A
// claim by the holder is granted again (its first answer may have been lost).
//
// Only the newest epochs of a pod are kept. An epoch that was forgotten (or would be at once)
// cannot be proven free, so claims for it are denied to every array.

import { createHash } from 'node:crypto';
import { MEDIATOR_EPOCHS_KEPT_PER_POD, MEDIATOR_PODS_MAX } from '../constants.js';
import { GrantsFileError, PodLimitError } from './errors.js';
import { epochProblem, idProblem, isPlainObject } from './validate.js';

export const GRANTS_MAGIC = 'tandem-mediator-grants';
export const GRANTS_FORMAT_VERSION = 1;
/** Reported as the holder of an epoch that is denied to everyone (too old to prove free). */
export const NO_HOLDER = '';

export interface ClaimResult {
  granted: boolean;
  holder: string;
}

export interface Grant {
  epoch: number;
  holder: string;
}

export interface GrantTableLimits {
  epochsKeptPerPod: number;
  podsMax: number;
}

/** The file format (version 1). `checksum` is the sha256 of `JSON.stringify(pods)`. */
export interface GrantsJson {
  magic: typeof GRANTS_MAGIC;
  version: typeof GRANTS_FORMAT_VERSION;
  checksum: string;
  pods: PodJson[];
}

interface PodJson {
  pod: string;
  /** Highest epoch forgotten: claims at or below it are denied. Null while nothing was pruned. */
  prunedThrough: number | null;
  grants: Grant[];
}

interface PodGrants {
  holders: Map<number, string>;
  prunedThrough: number | null;
}

const DEFAULT_LIMITS: GrantTableLimits = {
  epochsKeptPerPod: MEDIATOR_EPOCHS_KEPT_PER_POD,
  podsMax: MEDIATOR_PODS_MAX,
};

export class GrantTable {
  private readonly pods = new Map<string, PodGrants>();
  private changes = 0;

  constructor(private readonly limits: GrantTableLimits = DEFAULT_LIMITS) {
    if (!(limits.epochsKeptPerPod >= 1 && limits.podsMax >= 1)) throw new RangeError('limits must be >= 1');
  }

  /** Grows with every change; the server saves when it differs from the revision it last saved. */
  get revision(): number {
    return this.changes;
  }

  get podCount(): number {
    return this.pods.size;
  }

  /** Throws PodLimitError for a new pod past the limit; ids and epoch must be valid (checked by callers). */
  claim(podId: string, epoch: number, arrayId: string): ClaimResult {
    const problem = idProblem(podId, 'pod') ?? epochProblem(epoch, 'epoch') ?? idProblem(arrayId, 'array');
    if (problem) throw new TypeError(`GrantTable.claim: ${problem}`);
    let pod = this.pods.get(podId);
    const holder = pod?.holders.get(epoch);
    if (holder !== undefined) return { granted: holder === arrayId, holder };
    if (pod && !this.canRecord(pod, epoch)) return { granted: false, holder: NO_HOLDER };
    if (!pod) {
      if (this.pods.size >= this.limits.podsMax) throw new PodLimitError(this.limits.podsMax);
      pod = { holders: new Map(), prunedThrough: null };
      this.pods.set(podId, pod);
    }
    pod.holders.set(epoch, arrayId);
    this.prune(pod);
    this.changes++;
    return { granted: true, holder: arrayId };
  }

  /** The epochs a pod remembers, oldest first. */
  grantsOf(podId: string): Grant[] {
    const pod = this.pods.get(podId);
    if (!pod) return [];
    return [...pod.holders].sort(([a], [b]) => a - b).map(([epoch, holder]) => ({ epoch, holder }));
  }

  toJSON(): GrantsJson {
    const pods: PodJson[] = [...this.pods.keys()]
      .sort()
      .map((pod) => ({ pod, prunedThrough: this.pods.get(pod)!.prunedThrough, grants: this.grantsOf(pod) }));
    return { magic: GRANTS_MAGIC, version: GRANTS_FORMAT_VERSION, checksum: checksumOf(pods), pods };
  }

  /** Throws GrantsFileError (with the reason) for anything but a sound version 1 file. */
  static fromJSON(value: unknown, limits: GrantTableLimits = DEFAULT_LIMITS): GrantTable {
    const fail = (reason: string): never => {
      throw new GrantsFileError(reason);
    };
    if (!isPlainObject(value)) return fail('is not a JSON object');
    if (value.magic !== GRANTS_MAGIC)
      return fail(`is not a mediator grants file (magic is not "${GRANTS_MAGIC}")`);
    if (typeof value.version !== 'number' || !Number.isInteger(value.version)) fail('has no format version');
    if (value.version !== GRANTS_FORMAT_VERSION) {
      fail(`has format version ${value.version}; this mediator reads version ${GRANTS_FORMAT_VERSION}`);
    }
    if (!Array.isArray(value.pods)) return fail('has no pods list');
    if (value.checksum !== checksumOf(value.pods)) {
      fail('does not match its checksum (damaged, or edited by hand)');
    }
    if (value.pods.length > limits.podsMax)
      fail(`holds ${value.pods.length} pods; the limit is ${limits.podsMax}`);
    const table = new GrantTable(limits);
    value.pods.forEach((entry, index) => {
      const { podId, pod } = readPod(entry, `pods[${index}]`, fail);
      if (table.pods.has(podId)) fail(`lists pod "${podId}" twice`);
      table.pods.set(podId, pod);
      // A file from a mediator that kept more epochs is cut to this one's limit.
      table.prune(pod);
    });
    return table;
  }

  /** Whether `epoch` (not yet held) may be recorded, so that it will be remembered. */
  private canRecord(pod: PodGrants, epoch: number): boolean {
    if (pod.prunedThrough !== null && epoch <= pod.prunedThrough) return false;
    if (pod.holders.size < this.limits.epochsKeptPerPod) return true;
    // A full pod would forget this epoch at once, and its holder could not claim it again.
    return epoch > oldestEpoch(pod);
  }

  private prune(pod: PodGrants): void {
    while (pod.holders.size > this.limits.epochsKeptPerPod) {
      const oldest = oldestEpoch(pod);
      pod.holders.delete(oldest);
      pod.prunedThrough = Math.max(pod.prunedThrough ?? oldest, oldest);
    }
  }
}

function oldestEpoch(pod: PodGrants): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const epoch of pod.holders.keys()) oldest = Math.min(oldest, epoch);
  return oldest;
}

function checksumOf(pods: unknown): string {
  return createHash('sha256').update(JSON.stringify(pods)).digest('hex');
}

function readPod(
  entry: unknown,
  where: string,
  fail: (reason: string) => never,
): { podId: string; pod: PodGrants } {
  if (!isPlainObject(entry)) return fail(`${where} is not an object`);
  const idIssue = idProblem(entry.pod, `${where}.pod`);
  if (idIssue) fail(`has a bad entry: ${idIssue}`);
  const prunedThrough = entry.prunedThrough;
  if (prunedThrough !== null) {
    const issue = epochProblem(prunedThrough, `${where}.prunedThrough`);
    if (issue) fail(`has a bad entry: ${issue} or null`);
  }
  if (!Array.isArray(entry.grants)) return fail(`${where}.grants is not a list`);
  const pod: PodGrants = { holders: new Map(), prunedThrough: prunedThrough as number | null };
  entry.grants.forEach((grant: unknown, index: number) => {
    const at = `${where}.grants[${index}]`;
    if (!isPlainObject(grant)) fail(`${at} is not an object`);
    const { epoch, holder } = grant as Record<string, unknown>;
    const issue = epochProblem(epoch, `${at}.epoch`) ?? idProblem(holder, `${at}.holder`);
    if (issue) fail(`has a bad entry: ${issue}`);
    if (pod.prunedThrough !== null && (epoch as number) <= pod.prunedThrough) {
      fail(`${at}.epoch is not above the pod's prunedThrough`);
    }
    if (pod.holders.has(epoch as number)) fail(`${at} repeats epoch ${epoch}`);
    pod.holders.set(epoch as number, holder as string);
  });
  return { podId: entry.pod as string, pod };
}
