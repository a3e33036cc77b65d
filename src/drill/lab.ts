// The drill's view of a running lab: its descriptor (DIR/lab.json, refreshed from the control API's
// GET /lab), the control API's actions, and REST sessions on its arrays. Every "the lab is not
// there" case becomes a DrillUnrunnable that says how to start it.

import { isAbsolute, join, resolve } from 'node:path';
import type { ArrayEntry, LabDescriptor } from '../lab/descriptor.js';
import { readDescriptor } from '../lab/descriptor.js';
import { ArrayApi } from './array-api.js';
import { CONTROL_REQUEST_TIMEOUT_MS } from './constants.js';
import { DrillUnrunnable, messageOf } from './errors.js';

/** GET /lab is answered from memory; a lab that needs longer is not running. */
const LAB_PROBE_TIMEOUT_MS = 5_000;

export type ArrayAction = 'kill' | 'start' | 'stop';
export type LinkAction = 'cut' | 'restore';

function notRunning(dir: string, why: string): DrillUnrunnable {
  return new DrillUnrunnable(
    `no lab running in ${dir} (${why}): run npm start, or tandem lab up --dir ${dir}`,
  );
}

export class Lab {
  private readonly arrays = new Map<string, ArrayApi>();

  private constructor(
    readonly dir: string,
    public descriptor: LabDescriptor,
  ) {}

  /** The lab in `dir`, checked to be running (its control API answers). */
  static async open(dir: string): Promise<Lab> {
    // As the operator typed it, `./var/lab` rather than an absolute path they never wrote.
    const shown = isAbsolute(dir) || dir.startsWith('.') ? dir : `./${dir}`;
    let descriptor: LabDescriptor | null;
    try {
      descriptor = await readDescriptor(join(resolve(dir), 'lab.json'));
    } catch (error) {
      throw new DrillUnrunnable(`cannot read ${join(shown, 'lab.json')}: ${messageOf(error)}`);
    }
    if (descriptor === null) throw notRunning(shown, 'no lab.json');
    const lab = new Lab(shown, descriptor);
    try {
      await lab.refresh(LAB_PROBE_TIMEOUT_MS);
    } catch (error) {
      throw notRunning(
        shown,
        `its control API ${descriptor.supervisor.controlUrl} does not answer: ${messageOf(error)}`,
      );
    }
    return lab;
  }

  get controlUrl(): string {
    return this.descriptor.supervisor.controlUrl;
  }

  async refresh(timeoutMs = CONTROL_REQUEST_TIMEOUT_MS): Promise<LabDescriptor> {
    this.descriptor = (await this.control('GET', '/lab', timeoutMs)) as LabDescriptor;
    return this.descriptor;
  }

  /** Throws DrillUnrunnable naming the first daemon of `names` that is not running. */
  async requireRunning(names: readonly string[]): Promise<void> {
    const lab = await this.refresh();
    for (const name of names) {
      const status =
        name === 'mediator'
          ? lab.mediator
          : name === 'cinder'
            ? lab.cinder
            : lab.arrays.find((a) => a.name === name);
      if (!status) throw new DrillUnrunnable(`the lab in ${this.dir} has no ${name}`);
      if (status.state === 'running') continue;
      const start =
        name === 'cinder'
          ? 'restart the lab (tandem lab down, then npm start)'
          : `curl -X POST ${this.controlUrl}/lab/${name === 'mediator' ? 'mediator' : `arrays/${name}`}/start`;
      throw new DrillUnrunnable(`${name} is ${status.state} in the lab in ${this.dir}: ${start}`);
    }
  }

  arrayEntry(name: string): ArrayEntry {
    const entry = this.descriptor.arrays.find((a) => a.name === name);
    if (!entry) throw new DrillUnrunnable(`the lab in ${this.dir} has no array ${name}`);
    return entry;
  }

  /** A REST client of one array, logged in with its API token file (made on first use). */
  array(name: string): ArrayApi {
    let api = this.arrays.get(name);
    if (!api) {
      const entry = this.arrayEntry(name);
      api = new ArrayApi(name, new URL(entry.restUrl).host, entry.apiTokenFile);
      this.arrays.set(name, api);
    }
    return api;
  }

  arrayAction(name: string, action: ArrayAction): Promise<unknown> {
    return this.control('POST', `/lab/arrays/${name}/${action}`);
  }

  linkAction(from: string, to: string, action: LinkAction): Promise<unknown> {
    return this.control('POST', `/lab/links/${from}/${to}/${action}`);
  }

  async control(method: string, path: string, timeoutMs = CONTROL_REQUEST_TIMEOUT_MS): Promise<unknown> {
    const res = await fetch(`${this.controlUrl}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const reason = (body as { error?: { message?: string } } | undefined)?.error?.message ?? text;
      throw new Error(`lab control ${method} ${path}: HTTP ${res.status} ${reason}`);
    }
    return body;
  }

  async close(): Promise<void> {
    await Promise.all([...this.arrays.values()].map((a) => a.close()));
    this.arrays.clear();
  }
}
