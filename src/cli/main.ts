#!/usr/bin/env node
// The `tandem` command.

import './threadpool.js';
import { Command, Option } from 'commander';
import pino from 'pino';
import { startArrayDaemon } from '../array/daemon.js';
import { registerLabCommands } from '../lab/commands.js';
import { parseHostPort } from '../platform/address.js';
import { ReplicationService } from '../replication/replication-service.js';
import { explainError } from './errors.js';
import { registerPgroupCommands } from './pgroup-commands.js';
import { registerPodCommands } from './pod-commands.js';
import { registerVolumeCommands } from './volume-copy.js';

const READY_JSON_HELP =
  'once serving, print one JSON line {"ready": true, ...addresses} on stdout (for scripts; logs stay JSON lines too)';

/** `host:port`, with brackets around an IPv6 host. */
function hostPort(address: { host: string; port: number }): string {
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

function printReady(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...fields })}\n`);
}

const program = new Command();
program
  .name('tandem')
  .showHelpAfterError('(add --help for the options)')
  .description(
    'Block-storage DR lab: FlashArray-style arrays, replication and a Cinder-compatible control plane',
  );

const array = program.command('array').description('storage array daemon');
array
  .command('start')
  .description(
    'run one storage array (REST API over HTTPS, volumes over NBD and iSCSI) until SIGTERM or SIGINT',
  )
  .requiredOption('--name <name>', 'array name (as reported by GET /arrays)')
  .requiredOption('--data-dir <dir>', 'where the array keeps its data; initialised on first start')
  .option('--rest <host:port>', 'REST API (HTTPS) listen address', '127.0.0.1:8443')
  .option('--nbd <host:port>', 'NBD listen address', '127.0.0.1:10809')
  .option('--no-nbd', 'do not serve NBD')
  .option(
    '--iscsi <host:port>',
    'iSCSI portal (the array is one target; port 0: any free port)',
    '127.0.0.1:3260',
  )
  .option('--no-iscsi', 'do not serve iSCSI')
  .option(
    '--replication <host:port>',
    'replication port: where connected arrays reach this one (port 0: any free port)',
    '127.0.0.1:8444',
  )
  .option(
    '--mediator <url>',
    "the mediator of pods whose mediator is Purity's default 'purestorage' (as Pure1 Cloud Mediator is); none if unset",
  )
  .addOption(
    new Option('--tls-cert <file>', 'PEM certificate for the REST API (default: self-signed, DIR/tls/)'),
  )
  .addOption(new Option('--tls-key <file>', 'PEM private key for --tls-cert'))
  .option('--json', READY_JSON_HELP)
  .addHelpText(
    'after',
    `
On first start DIR is initialised: an API token for user pureuser is written to DIR/api-token
(mode 0600) and a self-signed certificate to DIR/tls/. Log in as Pure's clients do:
  curl -sk -X POST -H "api-token: $(cat DIR/api-token)" -D - https://127.0.0.1:8443/api/2.38/login
Every acknowledged write is durable (O_DSYNC journal): SIGKILL loses none.
A volume is exported over NBD (export name = volume name) while it is connected to a host, and
over iSCSI to the initiators in that host's iqns, at the connection's LUN (target IQN: GET /ports;
CHAP from PATCH /hosts {"chap": ...}).
Logs are JSON lines (pino) on stdout; TANDEM_DEBUG=1 adds stack traces to fatal errors.`,
  )
  .action(
    async (options: {
      name: string;
      dataDir: string;
      rest: string;
      nbd: string | false;
      iscsi: string | false;
      replication: string;
      tlsCert?: string;
      tlsKey?: string;
      mediator?: string;
      json?: boolean;
    }) => {
      if (options.mediator !== undefined && !/^https?:\/\/[^/]+/.test(options.mediator))
        throw new Error(`--mediator expects a URL such as http://127.0.0.1:8555, got "${options.mediator}"`);
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) {
        throw new Error('--tls-cert and --tls-key must be given together');
      }
      const logger = pino({ name: `array:${options.name}` });
      const replicationListen = parseHostPort(options.replication, '--replication');
      const running = await startArrayDaemon({
        logger,
        name: options.name,
        dataDir: options.dataDir,
        rest: parseHostPort(options.rest, '--rest'),
        nbd: options.nbd === false ? null : parseHostPort(options.nbd, '--nbd'),
        iscsi: options.iscsi === false ? null : parseHostPort(options.iscsi, '--iscsi'),
        ...(options.tlsCert ? { tlsCertPath: options.tlsCert } : {}),
        ...(options.tlsKey ? { tlsKeyPath: options.tlsKey } : {}),
      });
      const replication = new ReplicationService(running.array, replicationListen, logger, {
        defaultMediatorUrl: options.mediator ?? null,
      });
      await replication.start();
      running.array.replication = replication;
      logger.info({ array: running.array.name, replication: replication.address }, 'replication port open');
      console.error(`tandem: array ${running.array.name} is up; API token in ${running.apiTokenPath}`);
      if (options.json)
        printReady({
          array: running.array.name,
          id: running.array.state.identity.id,
          rest: `https://${hostPort(running.rest.address)}`,
          nbd: running.nbd ? hostPort(running.nbd.address) : null,
          iscsi: running.iscsi ? hostPort(running.iscsi.address) : null,
          replication: replication.address,
          apiTokenFile: running.apiTokenPath,
        });
      const shutdown = () => {
        void replication
          .stop()
          .then(() => running.stop())
          .then(() => process.exit(0));
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    },
  );

const mediator = program.command('mediator').description('mediator for stretched (ActiveCluster-style) pods');
mediator
  .command('start')
  .description('grant each pod split (epoch) to the first array that claims it, until SIGTERM or SIGINT')
  .requiredOption('--data-dir <dir>', 'where the mediator keeps its grants; created on first start')
  .option('--listen <host:port>', 'HTTP listen address (port 0: any free port)', '127.0.0.1:8555')
  .option('--json', READY_JSON_HELP)
  .addHelpText(
    'after',
    `
Arrays POST {"pod", "epoch", "array"} to /claims; GET /health and GET /claims?pod=ID show its state.
Every grant is on disk (DIR/grants.json) before it is answered, so a restart never grants an epoch twice.
Plain HTTP: keep it on a trusted network. Logs are JSON lines (pino) on stdout.`,
  )
  .action(async (options: { dataDir: string; listen: string; json?: boolean }) => {
    const { startMediator } = await import('../mediator/server.js');
    const logger = pino({ name: 'mediator' });
    const running = await startMediator({
      ...parseHostPort(options.listen, '--listen'),
      dataDir: options.dataDir,
      logger,
    });
    const { host, port } = running.address;
    const url = `http://${hostPort({ host, port })}`;
    console.error(`tandem: mediator is up on ${url}`);
    if (options.json) printReady({ mediator: url, dataDir: options.dataDir });
    const shutdown = () => {
      void running.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'mediator: close failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });

const cinder = program
  .command('cinder')
  .description('Cinder-compatible control plane (Keystone v3 + Block Storage v3)');
cinder
  .command('start')
  .description(
    'serve the Cinder and Keystone APIs for the backends of a cinder.conf, until SIGTERM or SIGINT',
  )
  .requiredOption(
    '--config-file <path>',
    'cinder.conf (oslo.config syntax; enabled_backends, [backend] sections)',
  )
  .requiredOption('--identity-file <path>', 'users, projects and roles (JSON) for the Keystone endpoint')
  .option('--listen <host:port>', 'overrides osapi_volume_listen and osapi_volume_listen_port (port 0: any)')
  .option('--json', READY_JSON_HELP)
  .addHelpText(
    'after',
    `
One HTTP port serves everything: Cinder at /v3/<project_id>, Keystone at /identity/v3 (OS_AUTH_URL),
and the image stub at /image. The drivers talk to the arrays of each backend over their REST API
(san_ip, pure_api_token, replication_device). State lives in [database] connection (SQLite file by
default, or postgresql://). Logs are JSON lines (pino) on stdout; tokens and passwords are never logged.`,
  )
  .action(async (options: { configFile: string; identityFile: string; listen?: string; json?: boolean }) => {
    const { startControlPlane } = await import('../cinder/control-plane.js');
    const logger = pino({ name: 'cinder' });
    const running = await startControlPlane({
      configFile: options.configFile,
      identityFile: options.identityFile,
      logger,
      ...(options.listen ? { listen: parseHostPort(options.listen, '--listen') } : {}),
    });
    console.error(`tandem: cinder is up on ${running.api.url} (OS_AUTH_URL=${running.api.authUrl})`);
    if (options.json) printReady({ cinder: running.api.url, authUrl: running.api.authUrl });
    const shutdown = () => {
      void running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'cinder: stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });

registerLabCommands(program);

// `tandem drill <scenario>` (src/drill/): DR exercises against the running lab.
const { registerDrillCommand } = await import('../drill/command.js');
registerDrillCommand(program);
registerPodCommands(program);
registerPgroupCommands(program);
registerVolumeCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`tandem: ${explainError(error)}`);
  process.exit(1);
});
