// GET /console/api/state's work: reads every array and the control plane at once and puts the
// answers together. Concurrent requests share one read, and a state younger than STATE_REUSE_MS
// is served again, so the arrays see the same load however many pages are open.

import type { LabDescriptor } from '../lab/descriptor.js';
import { ArrayReader } from './array-state.js';
import { CinderReader } from './cinder-state.js';
import { ERROR_TEXT_MAX_CHARS, STATE_REUSE_MS } from './limits.js';
import type { ConsoleState, FailoverTargetView } from './state-types.js';
import { loadFailoverTargets } from './targets.js';

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > ERROR_TEXT_MAX_CHARS ? `${text.slice(0, ERROR_TEXT_MAX_CHARS)}...` : text;
}

export class ConsoleStateSource {
  private readonly arrays = new ArrayReader();
  private readonly cinder: CinderReader;
  private last: ConsoleState | null = null;
  private pending: Promise<ConsoleState> | null = null;
  private targets: { configFile: string; list: Promise<FailoverTargetView[]> } | null = null;

  constructor(
    private readonly descriptor: () => LabDescriptor,
    private readonly nowMs: () => number,
  ) {
    this.cinder = new CinderReader(nowMs);
  }

  /** The replication devices of cinder.conf, read once per file (the lab rewrites it only at start). */
  failoverTargets(lab: LabDescriptor = this.descriptor()): Promise<FailoverTargetView[]> {
    if (this.targets?.configFile !== lab.cinder.configFile) {
      const list = loadFailoverTargets({
        configFile: lab.cinder.configFile,
        host: lab.cinder.host,
        arrays: lab.arrays,
      });
      // A file that could not be read is tried again at the next refresh.
      list.catch(() => {
        if (this.targets?.list === list) this.targets = null;
      });
      this.targets = { configFile: lab.cinder.configFile, list };
    }
    return this.targets.list;
  }

  async state(): Promise<ConsoleState> {
    if (this.last && this.nowMs() - this.last.atMs < STATE_REUSE_MS) return this.last;
    this.pending ??= this.assemble().finally(() => {
      this.pending = null;
    });
    this.last = await this.pending;
    return this.last;
  }

  private async assemble(): Promise<ConsoleState> {
    const lab = this.descriptor();
    const nowMs = this.nowMs();
    const [arrays, cinder, targets] = await Promise.all([
      Promise.all(lab.arrays.map((entry) => this.arrays.read(entry, nowMs))),
      this.readCinder(lab).then(
        (read) => ({ ...read, error: null }),
        (error: unknown) => ({ service: null, volumes: [], error: reason(error) }),
      ),
      this.failoverTargets(lab).catch(() => []),
    ]);
    return {
      atMs: nowMs,
      lab: {
        startedAt: lab.startedAt,
        controlUrl: lab.supervisor.controlUrl,
        adminUser: lab.admin.user,
        mediatorState: lab.mediator.state,
        links: lab.links.map((l) => ({ from: l.from, to: l.to, type: l.type, state: l.state })),
      },
      arrays,
      cinder: {
        url: lab.cinder.url,
        host: lab.cinder.host,
        daemonState: lab.cinder.state,
        ...cinder,
        targets,
      },
    };
  }

  private readCinder(lab: LabDescriptor) {
    if (lab.cinder.state !== 'running')
      return Promise.reject(new Error(`the control plane daemon is ${lab.cinder.state}`));
    return this.cinder.read(lab);
  }

  close(): Promise<void> {
    return this.arrays.close();
  }
}
