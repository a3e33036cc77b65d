// A fault-injecting TCP proxy on 127.0.0.1 that tests put in the replication path. `cut()` is a
// network partition: nothing passes any more and nobody is told (no FIN, no RST), so the ends
// must notice by their heartbeats; new connections hang. `cut({ reset: true })` drops the
// connections at once instead. `restore()` closes what the cut left hanging and lets traffic pass.

import net from 'node:net';

export interface TcpProxy {
  port: number;
  cut(options?: { reset?: boolean }): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let open = true;
  const sockets = new Set<net.Socket>();
  const held = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) {
      // Partitioned: the connection is accepted and then nothing ever comes back.
      held.add(client);
      client.on('error', () => {});
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    cut: (options = {}) => {
      open = false;
      for (const socket of sockets) {
        if (options.reset) socket.destroy();
        else {
          socket.unpipe();
          socket.pause();
          held.add(socket);
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
      for (const socket of [...sockets, ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
