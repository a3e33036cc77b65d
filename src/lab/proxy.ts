// The TCP proxy each replication link goes through, so a drill can partition the replication
// path while the management path (REST) still answers. `cut()` is a silent partition: bytes stop
// and nobody is told (no FIN, no RST), so the arrays must notice by their heartbeats, and new
// connections hang; `cut({ reset: true })` drops the connections at once instead. `restore()`
// closes what the cut left hanging, so both ends redial cleanly, and lets traffic pass again.

import net from 'node:net';

export interface ReplicationProxy {
  readonly listen: string;
  readonly isCut: boolean;
  cut(options?: { reset?: boolean }): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startReplicationProxy(options: {
  host: string;
  port: number;
  targetHost: string;
  targetPort: number;
}): Promise<ReplicationProxy> {
  let open = true;
  const piped = new Set<net.Socket>();
  const held = new Set<net.Socket>();
  const hold = (socket: net.Socket) => {
    held.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => held.delete(socket));
  };
  const server = net.createServer((client) => {
    if (!open) {
      // Partitioned: accepted, and then nothing ever comes back.
      hold(client);
      return;
    }
    const upstream = net.connect(options.targetPort, options.targetHost);
    for (const socket of [client, upstream]) {
      piped.add(socket);
      socket.once('close', () => piped.delete(socket));
      // One side failing ends the pair, as a broken path would; a clean end travels by pipe().
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    listen: `${options.host}:${options.port}`,
    get isCut() {
      return !open;
    },
    cut: ({ reset = false } = {}) => {
      open = false;
      for (const socket of piped) {
        if (reset) socket.destroy();
        else {
          socket.unpipe();
          socket.pause();
          piped.delete(socket);
          hold(socket);
        }
      }
    },
    restore: () => {
      open = true;
      for (const socket of held) socket.destroy();
      held.clear();
    },
    close: async () => {
      open = false;
      for (const socket of [...piped, ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
