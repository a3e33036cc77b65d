// What `lab up` and `lab status` print for people. Secrets appear only as the files that hold
// them: the exported OS_PASSWORD reads the admin's password file when the shell evaluates it.

import { isAbsolute, relative } from 'node:path';
import { TANDEM_CLI } from './daemon-process.js';
import type { DaemonStatus, LabDescriptor } from './descriptor.js';

const pad = (text: string, width: number) => text.padEnd(width);

/** Shell-quoted for a single-quoted context ('...'). */
const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** How to run `tandem` from here: `npm start` puts no `tandem` on PATH. */
function tandemCommand(): string {
  const path = relative(process.cwd(), TANDEM_CLI);
  return `node ${path.startsWith('..') || isAbsolute(path) ? TANDEM_CLI : path}`;
}

/** The variables the openstack and cinder CLIs need, as `export` lines. */
export function exportLines(lab: LabDescriptor): string[] {
  return [
    `export OS_AUTH_URL=${lab.cinder.authUrl}`,
    `export OS_USERNAME=${lab.admin.user}`,
    `export OS_PASSWORD="$(cat ${quoted(lab.admin.passwordFile)})"`,
    `export OS_PROJECT_NAME=${lab.admin.project}`,
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    'export OS_IDENTITY_API_VERSION=3',
    'export OS_REGION_NAME=RegionOne',
  ];
}

function stateText(status: DaemonStatus): string {
  const pid = status.pid === null ? '' : ` (pid ${status.pid})`;
  const exit = status.lastExit?.unexpected
    ? `, exited unexpectedly at ${status.lastExit.at} (${status.lastExit.signal ?? `code ${status.lastExit.code}`})`
    : '';
  return `${status.state}${pid}${exit}`;
}

function arrayTable(lab: LabDescriptor, withState: boolean): string[] {
  const rows = lab.arrays.map((a) => [
    a.name,
    a.role,
    a.restUrl,
    a.nbd,
    a.iscsi ?? '-',
    a.replication,
    a.metricsUrl,
    ...(withState ? [stateText(a)] : []),
  ]);
  const header = [
    'array',
    'role',
    'REST',
    'NBD',
    'iSCSI',
    'replication',
    'metrics',
    ...(withState ? ['state'] : []),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  return [header, ...rows].map((r) => `  ${r.map((cell, i) => pad(cell, widths[i]!)).join('')}`.trimEnd());
}

function linkLines(lab: LabDescriptor): string[] {
  return lab.links.map(
    (l) =>
      `  ${pad(`${l.from} -> ${l.to}`, 20)}${pad(l.type, 20)}via proxy ${pad(l.via, 18)}${l.state === 'cut' ? 'CUT' : 'up'}`,
  );
}

function servicesLines(lab: LabDescriptor, withState: boolean): string[] {
  const state = (s: DaemonStatus) => (withState ? `   ${stateText(s)}` : '');
  return [
    `  lab control API  ${lab.supervisor.controlUrl}/lab   (supervisor pid ${lab.supervisor.pid})`,
    `  console          ${lab.console.url}   (web console: open it at 127.0.0.1)`,
    `  cinder           ${lab.cinder.url}   host ${lab.cinder.host}, metrics ${lab.cinder.metricsUrl}${state(lab.cinder)}`,
    `  mediator         ${lab.mediator.url}${state(lab.mediator)}`,
  ];
}

/** Printed once the lab is up. */
export function upText(lab: LabDescriptor): string {
  return [
    `tandem lab is up; state in ${lab.dir} (reused by the next start)`,
    '',
    ...servicesLines(lab, false),
    '',
    ...arrayTable(lab, false),
    '',
    '  replication links (through the lab proxies; POST /lab/links/FROM/TO/cut and /restore):',
    ...linkLines(lab),
    '',
    `  API tokens:       ${lab.arrays.map((a) => a.apiTokenFile).join(', ')}`,
    `  cinder.conf:      ${lab.cinder.configFile}`,
    `  logs:             ${lab.dir}/logs/`,
    `  volume types:     SyncReplicated, AsyncReplicated, TriSync`,
    `  users:            ${lab.admin.user} (password in ${lab.admin.passwordFile}), ${lab.demo.user} (member, password in ${lab.demo.passwordFile})`,
    '',
    'For the openstack and cinder CLIs:',
    ...exportLines(lab).map((line) => `  ${line}`),
    '',
    `Stop with Ctrl-C here, or from another terminal: ${tandemCommand()} lab down --dir ${lab.dir}`,
    '',
  ].join('\n');
}

export function statusText(lab: LabDescriptor | null, running: boolean, dir: string): string {
  if (!lab) return `no lab in ${dir} (tandem lab up --dir ${dir} makes one)\n`;
  if (!running)
    return `the lab in ${dir} is not running (last started ${lab.startedAt}); tandem lab up --dir ${dir}\n`;
  return [
    `the lab in ${dir} runs since ${lab.startedAt}`,
    '',
    ...servicesLines(lab, true),
    '',
    ...arrayTable(lab, true),
    '',
    ...linkLines(lab),
    '',
  ].join('\n');
}
