// The files the lab generates for the control plane: the identity file (an admin and a demo
// member, each with a random password kept in its own mode-0600 file) and cinder.conf (one Pure
// backend on site-a with a sync device on site-b and an async one on site-c, tri-sync on). The
// passwords are made once and kept, so tokens and exported variables stay valid across restarts;
// cinder.conf is rewritten at every start from the arrays' API-token files and the lab's ports.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  hostPort,
  LAB_ADMIN,
  LAB_BACKEND,
  LAB_CINDER_HOST,
  LAB_DEMO,
  LAB_HOST,
  type LabPaths,
  type LabPorts,
} from './layout.js';

/** 24 random bytes, 32 characters of base64url: beyond guessing, and shell-safe. */
const PASSWORD_BYTES = 24;
const SECRET_FILE_MODE = 0o600;
/** The control plane's SQLite file, under DIR/cinder. */
const CINDER_DATABASE_FILE = 'cinder.sqlite';

async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: SECRET_FILE_MODE });
  // writeFile's mode applies only to a new file; an existing one may have been opened up.
  await chmod(path, SECRET_FILE_MODE);
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function ensurePassword(path: string): Promise<string> {
  const existing = await readIfPresent(path);
  if (existing) return existing;
  const password = randomBytes(PASSWORD_BYTES).toString('base64url');
  await writeSecret(path, `${password}\n`);
  return password;
}

/** The identity file, with the passwords of DIR/admin-password and DIR/demo-password. */
export async function ensureIdentityFile(paths: LabPaths): Promise<void> {
  const admin = await ensurePassword(paths.adminPassword);
  const demo = await ensurePassword(paths.demoPassword);
  const identity = {
    projects: [{ name: LAB_ADMIN.project }, { name: LAB_DEMO.project }],
    users: [
      {
        name: LAB_ADMIN.user,
        password: admin,
        project: LAB_ADMIN.project,
        roles: ['admin', 'member', 'reader'],
      },
      { name: LAB_DEMO.user, password: demo, project: LAB_DEMO.project, roles: ['member', 'reader'] },
    ],
  };
  await writeSecret(paths.identity, `${JSON.stringify(identity, null, 2)}\n`);
}

async function apiToken(paths: LabPaths, name: 'site-a' | 'site-b' | 'site-c'): Promise<string> {
  const token = await readIfPresent(paths.apiToken(name));
  if (!token) throw new Error(`${paths.apiToken(name)} is missing or empty: did ${name} start?`);
  return token;
}

/** cinder.conf as an operator writes it for this lab (it holds API tokens: mode 0600). */
export async function writeCinderConf(paths: LabPaths, ports: LabPorts): Promise<void> {
  await mkdir(paths.cinderState, { recursive: true });
  const [a, b, c] = await Promise.all(
    (['site-a', 'site-b', 'site-c'] as const).map((name) => apiToken(paths, name)),
  );
  const lines = [
    '# Written by `tandem lab up` at every start; edits are lost. Holds API tokens: keep it 0600.',
    '[DEFAULT]',
    `enabled_backends = ${LAB_BACKEND}`,
    `host = ${LAB_CINDER_HOST}`,
    `state_path = ${paths.cinderState}`,
    `osapi_volume_listen = ${LAB_HOST}`,
    `osapi_volume_listen_port = ${ports.cinder}`,
    '',
    '[database]',
    // SQLAlchemy's form for an absolute path: sqlite:// + / + /abs/path.
    `connection = sqlite:///${join(paths.cinderState, CINDER_DATABASE_FILE)}`,
    '',
    `[${LAB_BACKEND}]`,
    `volume_backend_name = ${LAB_BACKEND}`,
    'volume_driver = cinder.volume.drivers.pure.PureNBDDriver',
    `san_ip = ${hostPort(ports.arrays['site-a'].rest)}`,
    `pure_api_token = ${a}`,
    `replication_device = backend_id:pure-sync,san_ip:${hostPort(ports.arrays['site-b'].rest)},api_token:${b},type:sync`,
    `replication_device = backend_id:pure-dr,san_ip:${hostPort(ports.arrays['site-c'].rest)},api_token:${c},type:async`,
    'pure_trisync_enabled = true',
    // Every 5 minutes (the arrays' shortest schedule) instead of Cinder's hourly default: a lab's
    // async RPO should be something a drill can watch.
    'pure_replica_interval_default = 300',
    '',
  ];
  await writeSecret(paths.cinderConf, lines.join('\n'));
}
