// `tandem lab up|down|status|reset`: the commander wiring of the lab, registered by src/cli/main.ts.

import { type Command, InvalidArgumentError } from 'commander';
import type { ExitRecord } from './descriptor.js';
import { labDown, labReset, labStatus, labStatusText, STATUS_NOT_RUNNING_EXIT_CODE } from './lab-admin.js';
import {
  BASE_PORT_MAX,
  BASE_PORT_MIN,
  BASE_PORT_SPAN,
  DEFAULT_PORTS,
  hostPort,
  LAB_DIR_DEFAULT,
  labPaths,
} from './layout.js';
import { upText } from './summary.js';
import { Supervisor } from './supervisor.js';

const DIR_HELP = 'the lab state directory (created on first start, reused after)';

function parseBasePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < BASE_PORT_MIN || port > BASE_PORT_MAX)
    throw new InvalidArgumentError(`expects a port from ${BASE_PORT_MIN} to ${BASE_PORT_MAX}`);
  return port;
}

function describeCrash(name: string, exit: ExitRecord, controlUrl: string): string {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  const restart =
    name === 'cinder'
      ? 'restart the lab to bring it back'
      : `POST ${controlUrl}/lab/${name === 'mediator' ? 'mediator' : `arrays/${name}`}/start brings it back`;
  return `tandem lab: ${name} exited unexpectedly (${how}); it stays down: ${restart}`;
}

async function up(options: { dir: string; basePort?: number; json?: boolean }): Promise<void> {
  const paths = labPaths(options.dir);
  let controlUrl = '';
  const supervisor = await Supervisor.prepare(paths, options.basePort, (name, exit) =>
    console.error(describeCrash(name, exit, controlUrl)),
  );
  controlUrl = `http://${hostPort(supervisor.ports.control)}`;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      console.error(`tandem lab: ${signal}: stopping cinder, the arrays, the mediator and the proxies`);
      void supervisor.down();
    } else {
      console.error('tandem lab: stopping now (SIGKILL to every daemon)');
      void supervisor.killAll();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  console.error(`tandem lab: starting in ${paths.dir} (logs in ${paths.logs}/)`);
  const lab = await supervisor.up();
  process.stdout.write(options.json ? `${JSON.stringify({ ready: true, lab })}\n` : upText(lab));
  await supervisor.stopped;
  console.error('tandem lab: stopped');
  process.exit(0);
}

function printOutcome(message: string, json: boolean | undefined): void {
  console.log(json ? JSON.stringify({ done: true, message }) : `tandem: ${message}`);
}

export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description('the whole DR lab on 127.0.0.1: three arrays, mediator, Cinder API, replication proxies');
  lab
    .command('up')
    .description('start the lab and supervise it until Ctrl-C, SIGTERM or `tandem lab down`')
    .option('--dir <dir>', DIR_HELP, LAB_DIR_DEFAULT)
    .option(
      '--base-port <port>',
      `use ports PORT..PORT+${BASE_PORT_SPAN - 1} instead of the defaults (first start only; kept after)`,
      parseBasePort,
    )
    .option('--json', 'once up, print {"ready": true, "lab": <lab.json>} on one line instead of the summary')
    .addHelpText(
      'after',
      `
Arrays site-a (primary), site-b (sync peer) and site-c (async DR), started with the lab's mediator;
connections site-a -> site-b sync, site-a -> site-c and site-b -> site-c async, each through a proxy
of the lab; the Cinder API with backend puredriver-1 and volume types SyncReplicated, AsyncReplicated
and TriSync; an admin (password in DIR/admin-password) and a demo member (DIR/demo-password).
Default ports: control API ${DEFAULT_PORTS.control}, mediator ${DEFAULT_PORTS.mediator}, cinder ${DEFAULT_PORTS.cinder}, replication proxies ${DEFAULT_PORTS.proxies.join('/')},
arrays REST 8443/9443/10443, NBD 10809-10811, iSCSI 3260-3262, replication 8444/9444/10444.
Every daemon logs JSON lines to DIR/logs/<name>.log; DIR/lab.json says what runs where (no secrets).
The control API (GET /lab; POST /lab/arrays/NAME/kill|stop|start, /lab/links/FROM/TO/cut|restore,
/lab/mediator/stop|start, /lab/down) serves drills; the web console is at <control URL>/console.`,
    )
    .action(up);
  lab
    .command('down')
    .description('stop the lab running from DIR (in order) and wait until everything has exited')
    .option('--dir <dir>', DIR_HELP, LAB_DIR_DEFAULT)
    .option('--json', 'print {"done": true, "message": ...} instead of the message')
    .action(async (options: { dir: string; json?: boolean }) =>
      printOutcome(await labDown(labPaths(options.dir)), options.json),
    );
  lab
    .command('status')
    .description(`what runs where; exit code ${STATUS_NOT_RUNNING_EXIT_CODE} when the lab is not running`)
    .option('--dir <dir>', DIR_HELP, LAB_DIR_DEFAULT)
    .option('--json', 'print {running, dir, orphanPids, lab: <lab.json>} as JSON')
    .action(async (options: { dir: string; json?: boolean }) => {
      const status = await labStatus(labPaths(options.dir));
      process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : labStatusText(status));
      if (!status.running) process.exitCode = STATUS_NOT_RUNNING_EXIT_CODE;
    });
  lab
    .command('reset')
    .description('delete the lab state directory (refused while anything of the lab runs)')
    .option('--dir <dir>', DIR_HELP, LAB_DIR_DEFAULT)
    .option('--json', 'print {"done": true, "message": ...} instead of the message')
    .action(async (options: { dir: string; json?: boolean }) =>
      printOutcome(await labReset(labPaths(options.dir)), options.json),
    );
}
