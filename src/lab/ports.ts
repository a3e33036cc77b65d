// The lab's ports are chosen once, on the first start, and kept in DIR/layout.json: the array
// connections, cinder.conf and the operator's exported OS_AUTH_URL all name them, so a reused lab
// must come back on the same ones. Before anything starts, every port is checked, so a clash is
// reported as "which port, used for what, and what to do" rather than as a child's bind error.

import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import {
  BASE_PORT_SPAN,
  DEFAULT_PORTS,
  describePorts,
  LAB_HOST,
  type LabPaths,
  type LabPorts,
  portsFromBase,
  withIscsiPorts,
} from './layout.js';

export const LAYOUT_VERSION = 1;

interface LayoutFile {
  version: number;
  /** null: the fixed default ports. */
  basePort: number | null;
  ports: LabPorts;
}

async function readLayout(path: string): Promise<LayoutFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const layout = JSON.parse(text) as LayoutFile;
  if (layout.version !== LAYOUT_VERSION)
    throw new Error(
      `${path} has version ${layout.version}, this tandem reads ${LAYOUT_VERSION}: tandem lab reset`,
    );
  return layout;
}

/**
 * The ports of the lab in DIR: those of its first start, or new ones, remembered only once they
 * were found free (so a first start that clashed can be retried with another --base-port).
 */
export async function claimLabPorts(paths: LabPaths, basePort: number | undefined): Promise<LabPorts> {
  const stored = await readLayout(paths.layout);
  if (stored) {
    if (basePort !== undefined && basePort !== stored.basePort)
      throw new Error(
        `the lab in ${paths.dir} was made with ${stored.basePort === null ? 'the default ports' : `--base-port ${stored.basePort}`}; ` +
          `start it the same way, or wipe it first (tandem lab reset --dir ${paths.dir})`,
      );
    const ports = withIscsiPorts(stored.ports, stored.basePort);
    await checkPortsFree(ports, paths.dir, true);
    if (JSON.stringify(ports) !== JSON.stringify(stored.ports))
      await writeFile(paths.layout, `${JSON.stringify({ ...stored, ports }, null, 2)}\n`);
    return ports;
  }
  const ports = basePort === undefined ? DEFAULT_PORTS : portsFromBase(basePort);
  await checkPortsFree(ports, paths.dir, false);
  const layout: LayoutFile = { version: LAYOUT_VERSION, basePort: basePort ?? null, ports };
  await writeFile(paths.layout, `${JSON.stringify(layout, null, 2)}\n`);
  return ports;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // exclusive: a port another process shares through cluster still counts as taken.
    server.listen({ port, host: LAB_HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A clash message names this many ports; the rest are counted. */
const TAKEN_PORTS_LISTED_MAX = 4;

/** Throws, naming the taken ports, what the lab wanted them for and what to do, when one is in use. */
async function checkPortsFree(ports: LabPorts, dir: string, fixed: boolean): Promise<void> {
  const wanted = describePorts(ports);
  const free = await Promise.all(wanted.map(({ port }) => canListen(port)));
  const taken = wanted.filter((_, i) => !free[i]);
  if (taken.length === 0) return;
  const named = taken.slice(0, TAKEN_PORTS_LISTED_MAX).map((t) => `${LAB_HOST}:${t.port} (${t.purpose})`);
  const more = taken.length - named.length;
  const choose = fixed
    ? `This lab's ports are fixed since its first start; to choose others, wipe it (tandem lab reset --dir ${dir}).`
    : `Or start it on other ports: tandem lab up --dir ${dir} --base-port N (uses N..N+${BASE_PORT_SPAN - 1}).`;
  throw new Error(
    `port${taken.length > 1 ? 's' : ''} in use: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}. ` +
      `Find the owner with \`ss -ltnp 'sport = :${taken[0]!.port}'\`; a lab running from another directory ` +
      `stops with \`tandem lab down --dir THAT_DIR\`. ${choose}`,
  );
}
