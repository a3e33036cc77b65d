import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProtocolSocket } from '../../src/array/protocol-socket.js';

const quiet = { error: () => {}, info: () => {} };

test('protocol socket: after-write callbacks run only once the output left, so its buffers may be reused', async () => {
  const payload = Buffer.alloc(32 * 1024 * 1024, 0x5a); // far more than the socket buffers hold
  let callbackRan = false;
  const server = createServer((socket: Socket) => {
    const link = new ProtocolSocket<'done'>(socket, {
      label: 'test',
      logger: quiet,
      lingerMs: 1000,
      onClosed: () => {},
    });
    let queued: Buffer[] = [];
    link.attach({
      feed: () => {
        queued = [Buffer.from('header'), payload];
        link.outputReady();
      },
      takeOutput: () => {
        const out = queued;
        queued = [];
        return out;
      },
      // Reusing the buffer (here: overwriting it) must not change what the peer receives.
      takeAfterWrite: () => () => {
        callbackRan = true;
        payload.fill(0);
      },
      end: () => {},
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  try {
    await exchange(client);
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  assert.equal(callbackRan, true);

  async function exchange(client: Socket): Promise<void> {
    const received: Buffer[] = [];
    let receivedBytes = 0;
    client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      receivedBytes += chunk.length;
    });
    client.pause(); // hold the data in the server's queue for a while
    client.write('go');
    await sleep(200);
    assert.equal(callbackRan, false, 'the callback ran while most of the output was still queued');
    client.resume();
    const expected = 6 + payload.length;
    for (let i = 0; i < 500 && receivedBytes < expected; i++) await sleep(10);
    const all = Buffer.concat(received);
    assert.equal(all.length, expected);
    assert.equal(all.subarray(0, 6).toString(), 'header');
    assert.ok(
      all.subarray(6).every((byte) => byte === 0x5a),
      'bytes sent were overwritten before they left',
    );
  }
});
