// Browser code (see dom.ts for the rules): the page's entry point. It polls the state every
// refresh, renders it, feeds the charts, and wires the failover buttons and dialog.

import type { ConsoleState } from '../state-types.js';
import { type Chart, drawChart, newChart, recordSample } from './charts.js';
import { byId } from './dom.js';
import {
  type FailoverUi,
  newFailoverUi,
  openFailoverDialog,
  renderFailoverButtons,
  submitFailover,
  trackFailover,
} from './failover.js';
import {
  renderArrays,
  renderLinks,
  renderPgroups,
  renderPods,
  renderService,
  renderVolumes,
} from './render.js';

export interface ConsoleConfig {
  apiBase: string;
  refreshMs: number;
  chartSamples: number;
}

interface Charts {
  iops: Chart;
  latency: Chart;
  lag: Chart;
}

/** IOPS and the op-weighted mean latency per array, and the lag of every replicating group. */
export function recordCharts(charts: Charts, state: ConsoleState): void {
  const iops: Record<string, number | null> = {};
  const latency: Record<string, number | null> = {};
  const lag: Record<string, number | null> = {};
  for (const array of state.arrays) {
    const perf = array.perf;
    const ops = perf ? perf.readIops + perf.writeIops : 0;
    iops[array.name] = perf ? ops : null;
    latency[array.name] = !perf
      ? null
      : ops > 0
        ? (perf.readIops * perf.readLatencyUsec + perf.writeIops * perf.writeLatencyUsec) / ops
        : 0;
    for (const group of array.pgroups)
      if (group.lagSeconds !== null) lag[`${array.name} ${group.name}`] = group.lagSeconds;
  }
  recordSample(charts.iops, state.atMs, iops);
  recordSample(charts.latency, state.atMs, latency);
  recordSample(charts.lag, state.atMs, lag);
  for (const chart of [charts.iops, charts.latency, charts.lag]) drawChart(chart);
}

export function render(state: ConsoleState, charts: Charts, ui: FailoverUi): void {
  renderService(state);
  renderArrays(state);
  renderPods(state);
  renderPgroups(state);
  renderVolumes(state);
  renderLinks(state);
  recordCharts(charts, state);
  trackFailover(ui, state.cinder.service, state.atMs);
  renderFailoverButtons(ui, state);
  document.body.dataset.loaded = 'true';
}

export function wireFailover(ui: FailoverUi, adminUser: () => string): void {
  const dialog = byId<HTMLDialogElement>('failover-dialog');
  const password = byId<HTMLInputElement>('failover-password');
  byId('failover-buttons').addEventListener('click', (event) => {
    const button = (event.target as Element).closest('button');
    if (button && !button.disabled) openFailoverDialog(ui, button, adminUser());
  });
  byId('failover-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void submitFailover(ui);
  });
  byId('failover-cancel').addEventListener('click', () => dialog.close());
  // However the dialog closes (Escape too), the field is emptied.
  dialog.addEventListener('close', () => {
    password.value = '';
  });
}

export function consoleMain(config: ConsoleConfig): void {
  const ui = newFailoverUi(config.apiBase);
  const charts: Charts = {
    iops: newChart('iops', 'IOPS', config.chartSamples),
    latency: newChart('latency', 'µs per op', config.chartSamples),
    lag: newChart('lag', 'seconds', config.chartSamples),
  };
  let adminUser = 'admin';
  wireFailover(ui, () => adminUser);
  const status = byId('refresh-status');
  const refresh = async () => {
    try {
      const res = await fetch(`${config.apiBase}/state`, { cache: 'no-store', credentials: 'omit' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const state = (await res.json()) as ConsoleState;
      adminUser = state.lab.adminUser;
      render(state, charts, ui);
      status.className = 'ok';
      status.textContent = `Updated ${new Date(state.atMs).toLocaleTimeString()}`;
    } catch (error) {
      status.className = 'bad';
      status.textContent = `The lab did not answer: ${String(error)}`;
    } finally {
      setTimeout(refresh, config.refreshMs);
    }
  };
  void refresh();
}
