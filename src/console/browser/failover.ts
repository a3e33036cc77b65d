// Browser code (see dom.ts for the rules): the failover and failback buttons, the password dialog
// and the progress line. The password is read from the field, which is emptied at once, and sent
// in one POST to the console's own server; it is never kept in a variable beyond that call, in
// storage, or in the page.

import type { ConsoleState, FailoverAccepted, VolumeServiceView } from '../state-types.js';
import { byId, h } from './dom.js';

export interface FailoverUi {
  apiBase: string;
  /** A POST is in flight. */
  busy: boolean;
  /** The switch asked for, until the service shows it done or failed. */
  pending: { backendId: string; label: string; clickedAtMs: number; acceptedAtMs: number } | null;
  chosen: { backendId: string; label: string } | null;
  targetsKey: string;
}

export function newFailoverUi(apiBase: string): FailoverUi {
  return { apiBase, busy: false, pending: null, chosen: null, targetsKey: '' };
}

export function setProgress(text: string, tone: 'ok' | 'busy' | 'bad' | 'neutral'): void {
  const line = byId('failover-progress');
  line.className = `progress ${tone}`;
  line.textContent = text;
}

export function renderFailoverButtons(ui: FailoverUi, state: ConsoleState): void {
  const box = byId('failover-buttons');
  const key = JSON.stringify(state.cinder.targets);
  if (key !== ui.targetsKey) {
    ui.targetsKey = key;
    const buttons = state.cinder.targets.map((t) =>
      h(
        'button',
        { type: 'button', 'data-backend': t.backendId, class: 'danger' },
        `Fail over to ${t.backendId}${t.array ? ` (${t.array}, ${t.type})` : ''}`,
      ),
    );
    buttons.push(h('button', { type: 'button', 'data-backend': 'default' }, 'Fail back to primary'));
    box.replaceChildren(...buttons);
  }
  const service = state.cinder.service;
  const status = service?.replicationStatus ?? 'unknown';
  for (const button of box.querySelectorAll<HTMLButtonElement>('button')) {
    const backend = button.dataset.backend ?? '';
    const allowed =
      backend === 'default'
        ? status === 'failed-over'
        : (status === 'enabled' || status === 'failed-over') && service?.activeBackendId !== backend;
    button.disabled = ui.busy || ui.pending !== null || !allowed;
  }
}

export function openFailoverDialog(ui: FailoverUi, button: HTMLButtonElement, adminUser: string): void {
  const backendId = button.dataset.backend ?? '';
  const label = backendId === 'default' ? 'failback to the primary array' : `failover to ${backendId}`;
  ui.chosen = { backendId, label };
  byId('failover-title').textContent = backendId === 'default' ? 'Fail back' : `Fail over to ${backendId}`;
  byId('failover-explain').textContent =
    `Cinder's failover_host will move the volume service to ${backendId === 'default' ? 'the primary array' : backendId}. ` +
    `Type the password of Keystone user ${adminUser}; it is used for this request only.`;
  const password = byId<HTMLInputElement>('failover-password');
  password.value = '';
  byId<HTMLDialogElement>('failover-dialog').showModal();
  password.focus();
}

export async function postFailover(ui: FailoverUi, backendId: string, password: string): Promise<Response> {
  return fetch(`${ui.apiBase}/failover`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ backendId, password }),
    cache: 'no-store',
    credentials: 'omit',
  });
}

export async function submitFailover(ui: FailoverUi): Promise<void> {
  const field = byId<HTMLInputElement>('failover-password');
  const chosen = ui.chosen;
  const password = field.value;
  field.value = '';
  byId<HTMLDialogElement>('failover-dialog').close();
  if (!chosen || password === '') return;
  ui.busy = true;
  const clickedAtMs = Date.now();
  setProgress(`Asking Cinder for ${chosen.label}...`, 'busy');
  try {
    const res = await postFailover(ui, chosen.backendId, password);
    const body = (await res.json()) as FailoverAccepted & { error?: { message: string } };
    if (res.status !== 202) {
      setProgress(`${chosen.label} refused (HTTP ${res.status}): ${body.error?.message ?? ''}`, 'bad');
      return;
    }
    ui.pending = { ...chosen, clickedAtMs, acceptedAtMs: body.acceptedAtMs };
    trackFailover(ui, body.service, body.acceptedAtMs);
  } catch (error) {
    setProgress(`${chosen.label}: the console did not answer (${String(error)})`, 'bad');
  } finally {
    ui.busy = false;
  }
}

/**
 * Follows the service after a request. Only states read after Cinder accepted it count (a state
 * from before could still show the old status); from then on anything but failing-over is the end.
 */
export function trackFailover(ui: FailoverUi, service: VolumeServiceView | null, atMs: number): void {
  const pending = ui.pending;
  if (!pending || !service || atMs < pending.acceptedAtMs) return;
  const seconds = ((Date.now() - pending.clickedAtMs) / 1000).toFixed(1);
  const status = service.replicationStatus;
  const failback = pending.backendId === 'default';
  const done = failback
    ? status === 'enabled' && service.activeBackendId === null
    : status === 'failed-over' && service.activeBackendId === pending.backendId;
  if (status === 'failing-over') {
    setProgress(`${pending.label} in progress: replication status ${status} (${seconds} s).`, 'busy');
    return;
  }
  ui.pending = null;
  if (done) {
    const where = failback ? 'the primary array' : pending.backendId;
    setProgress(`Done: ${pending.label} finished after ${seconds} s; the service runs on ${where}.`, 'ok');
  } else if (status === 'failover-error') {
    setProgress(`${pending.label} failed after ${seconds} s: replication status failover-error.`, 'bad');
  } else {
    setProgress(`${pending.label} ended after ${seconds} s without switching (status ${status}).`, 'bad');
  }
}
