// `tandem lab up`: the supervisor. It starts the replication proxies, the mediator, the three
// arrays and the control plane as child processes, runs the setup steps, serves the control API,
// keeps DIR/lab.json current, and stops everything in order (cinder, arrays, mediator, proxies).
// A child that dies on its own is logged and marked, never restarted behind the drill's back.

import { mkdir } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { type ControlApi, type LabControl, LabControlError, startControlApi } from './control-api.js';
import { DaemonProcess, type DaemonSpec } from './daemon-process.js';
import { arraySpec, cinderSpec, mediatorSpec } from './daemon-specs.js';
import {
  describeLab,
  type ExitRecord,
  type LabDescriptor,
  readDescriptor,
  writeDescriptor,
} from './descriptor.js';
import { ensureIdentityFile, writeCinderConf } from './lab-files.js';
import {
  type ArrayName,
  findLink,
  isArrayName,
  LAB_ARRAYS,
  LAB_HOST,
  LAB_LINKS,
  type LabPaths,
  type LabPorts,
} from './layout.js';
import { claimPidMarker, orphanPids, releasePidMarker } from './pid-marker.js';
import { claimLabPorts } from './ports.js';
import { type ReplicationProxy, startReplicationProxy } from './proxy.js';
import { ensureArrayConnections, ensureVolumeTypes } from './setup.js';

export class Supervisor implements LabControl {
  private readonly startedAt = new Date().toISOString();
  private readonly arrays = new Map<ArrayName, DaemonProcess>();
  private mediator!: DaemonProcess;
  private cinder!: DaemonProcess;
  private proxies: ReplicationProxy[] = [];
  private controlApi: ControlApi | null = null;
  /** Daemons with an action under way: a second action on one of them is refused, not queued. */
  private readonly busy = new Set<string>();
  private writing: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private markStopped: () => void = () => {};
  /** Resolves once the lab has stopped, whoever asked (signal, control API, failed start). */
  readonly stopped = new Promise<void>((resolve) => {
    this.markStopped = resolve;
  });

  private constructor(
    readonly paths: LabPaths,
    readonly ports: LabPorts,
    readonly logger: Logger,
    /** Told when a child dies on its own (the CLI prints it). */
    private readonly onCrash: (name: string, exit: ExitRecord) => void,
  ) {}

  /** Claims DIR and its ports; nothing runs yet. */
  static async prepare(
    paths: LabPaths,
    basePort: number | undefined,
    onCrash: (name: string, exit: ExitRecord) => void,
  ): Promise<Supervisor> {
    await mkdir(paths.dir, { recursive: true });
    await claimPidMarker(paths.pidMarker, paths.dir);
    try {
      const orphans = await orphanPids(await readDescriptor(paths.descriptor));
      if (orphans.length > 0)
        throw new Error(
          `daemons of the last lab in ${paths.dir} still run without their supervisor (pids ${orphans.join(', ')}): tandem lab down --dir ${paths.dir}`,
        );
      const ports = await claimLabPorts(paths, basePort);
      await mkdir(paths.logs, { recursive: true });
      const logger = pino({ name: 'lab' }, pino.destination({ dest: paths.log('lab'), sync: true }));
      return new Supervisor(paths, ports, logger, onCrash);
    } catch (error) {
      await releasePidMarker(paths.pidMarker);
      throw error;
    }
  }

  private daemon(spec: DaemonSpec): DaemonProcess {
    return new DaemonProcess(spec, this.paths.log(spec.name), this.logger, (crash) => {
      if (crash) this.onCrash(spec.name, crash);
      this.saveDescriptor();
    });
  }

  descriptor(): LabDescriptor {
    const status = (name: ArrayName) =>
      this.arrays.get(name)?.status() ?? { pid: null, state: 'stopped' as const };
    return describeLab(this.paths, this.ports, {
      startedAt: this.startedAt,
      supervisorPid: process.pid,
      arrays: { 'site-a': status('site-a'), 'site-b': status('site-b'), 'site-c': status('site-c') },
      mediator: this.mediator.status(),
      cinder: this.cinder.status(),
      linksCut: LAB_LINKS.map((_, i) => this.proxies[i]?.isCut ?? false),
    });
  }

  private saveDescriptor(): void {
    const snapshot = this.descriptor();
    this.writing = this.writing
      .then(() => writeDescriptor(this.paths.descriptor, snapshot))
      .catch((error: unknown) => this.logger.error({ err: error }, 'lab.json not written'));
  }

  /** Everything up and set up; on any failure what started is stopped again and the error thrown. */
  async up(): Promise<LabDescriptor> {
    const { paths, ports } = this;
    this.mediator = this.daemon(mediatorSpec(paths, ports));
    this.cinder = this.daemon(cinderSpec(paths));
    for (const { name } of LAB_ARRAYS) this.arrays.set(name, this.daemon(arraySpec(name, paths, ports)));
    try {
      this.controlApi = await startControlApi({
        host: LAB_HOST,
        port: ports.control,
        control: this,
        logger: this.logger,
      });
      await this.step('replication proxies', () => this.startProxies());
      await this.step('mediator', () => this.mediator.start());
      await this.step('arrays', () => Promise.all([...this.arrays.values()].map((a) => a.start())));
      await this.step('array connections', () => ensureArrayConnections(paths, ports, this.logger));
      await this.step('cinder', async () => {
        await ensureIdentityFile(paths);
        await writeCinderConf(paths, ports);
        await this.cinder.start();
      });
      await this.step('volume types', () => ensureVolumeTypes(this.descriptor(), this.logger));
    } catch (error) {
      const interrupted = this.stopping !== null;
      this.logger.error({ err: error, interrupted }, 'lab did not come up');
      await this.down();
      throw interrupted ? new Error('lab start interrupted; everything it had started is stopped') : error;
    }
    this.saveDescriptor();
    await this.writing;
    this.logger.info({ controlUrl: this.controlApi.url }, 'lab up');
    return this.descriptor();
  }

  private async step(what: string, run: () => Promise<unknown>): Promise<void> {
    if (this.stopping) throw new Error(`lab start interrupted (before ${what})`);
    this.logger.info({ step: what }, 'starting');
    await run();
    this.saveDescriptor();
  }

  private async startProxies(): Promise<void> {
    for (const [i, link] of LAB_LINKS.entries())
      this.proxies.push(
        await startReplicationProxy({
          host: LAB_HOST,
          port: this.ports.proxies[i]!,
          targetHost: LAB_HOST,
          targetPort: this.ports.arrays[link.to].replication,
        }),
      );
  }

  /** Stops the lab in order; every call returns the same promise, which never rejects. */
  down(): Promise<void> {
    this.stopping ??= this.stopAll()
      .catch((error: unknown) => this.logger.error({ err: error }, 'lab stop failed'))
      .finally(() => this.markStopped());
    return this.stopping;
  }

  /** SIGKILLs every child at once: for a second Ctrl-C when an orderly stop hangs. */
  async killAll(): Promise<void> {
    const all = [this.cinder, ...this.arrays.values(), this.mediator].filter((d) => d !== undefined);
    await Promise.all(all.map((d) => d.kill()));
  }

  private async stopAll(): Promise<void> {
    this.logger.info('lab stopping');
    // The control plane first, so it sees no array vanish under a request; the mediator after the
    // arrays, so a pod split during shutdown can still be decided.
    await this.cinder?.stop();
    await Promise.all([...this.arrays.values()].map((a) => a.stop()));
    await this.mediator?.stop();
    await Promise.all(this.proxies.map((p) => p.close()));
    await this.controlApi?.close();
    this.saveDescriptor();
    await this.writing;
    await releasePidMarker(this.paths.pidMarker);
    this.logger.info('lab stopped');
  }

  private async act<T>(key: string, run: () => Promise<T>): Promise<T> {
    if (this.stopping) throw new LabControlError(409, 'stopping', 'the lab is stopping');
    if (this.busy.has(key)) throw new LabControlError(409, 'busy', `${key} is being changed already`);
    this.busy.add(key);
    try {
      return await run();
    } finally {
      this.busy.delete(key);
    }
  }

  private async daemonAction(daemon: DaemonProcess, action: 'kill' | 'start' | 'stop'): Promise<void> {
    const name = daemon.spec.name;
    if (action === 'start') {
      if (daemon.alive) throw new LabControlError(409, 'already_running', `${name} is already running`);
      this.logger.info({ daemon: name }, 'start requested');
      return daemon.start();
    }
    if (!daemon.alive) throw new LabControlError(409, 'not_running', `${name} is not running`);
    this.logger.info({ daemon: name, action }, `${action} requested`);
    return action === 'kill' ? daemon.kill() : daemon.stop();
  }

  async arrayAction(name: string, action: 'kill' | 'start' | 'stop'): Promise<unknown> {
    if (!isArrayName(name)) throw new LabControlError(404, 'no_such_array', `no array '${name}' in the lab`);
    const daemon = this.arrays.get(name)!;
    await this.act(name, () => this.daemonAction(daemon, action));
    return this.descriptor().arrays.find((a) => a.name === name);
  }

  async mediatorAction(action: 'start' | 'stop'): Promise<unknown> {
    await this.act('mediator', () => this.daemonAction(this.mediator, action));
    return this.descriptor().mediator;
  }

  async linkAction(from: string, to: string, action: 'cut' | 'restore', options: { reset: boolean }) {
    const link = findLink(from, to);
    if (!link)
      throw new LabControlError(404, 'no_such_link', `no replication link between ${from} and ${to}`);
    const index = LAB_LINKS.indexOf(link);
    await this.act(`link ${link.from}-${link.to}`, async () => {
      const proxy = this.proxies[index];
      if (!proxy) throw new LabControlError(409, 'not_running', 'the replication proxies are not up yet');
      if (action === 'cut') proxy.cut(options);
      else proxy.restore();
      this.logger.info({ from: link.from, to: link.to, action, reset: options.reset }, `link ${action}`);
      this.saveDescriptor();
    });
    return this.descriptor().links[index];
  }
}
