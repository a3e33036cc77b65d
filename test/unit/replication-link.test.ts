import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import {
  REPLICATION_FRAME_MAX_BYTES,
  REPLICATION_REQUESTS_INFLIGHT_MAX,
  REPLICATION_WRITE_SLICE_BYTES,
} from '../../src/constants.js';
import {
  type AuthorizeResult,
  connectionKeysMatch,
  dialPeer,
  encodeFrame,
  type Frame,
  FrameDecoder,
  type Hello,
  LinkClosedError,
  type LinkCloseReason,
  LinkConnectError,
  type LinkLogger,
  LinkProtocolError,
  LinkRefusedError,
  type OutgoingFrame,
  PeerConnector,
  RemoteError,
  ReplicationLink,
  type ReplicationLinkOptions,
  ReplicationListener,
  type ReplicationListenerOptions,
} from '../../src/replication/link/index.js';

const LOCAL = '127.0.0.1';
const MiB = 1024 * 1024;
const KEY = `key-${randomBytes(12).toString('hex')}`;
const WRONG_KEY = `key-${randomBytes(12).toString('hex')}`;

function helloWith(connectionKey: string): Hello {
  return { connectionKey, array: { id: 'array-a', name: 'tandem-a' }, type: 'async-replication' };
}

/** Collects every log line as text, to check that no key ever reaches a log. */
function capturingLogger(): { logger: LinkLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (obj: object, msg: string): void => {
    lines.push(`${msg} ${JSON.stringify(obj)}`);
  };
  return { logger: { info: record, warn: record, error: record }, lines };
}

function authorizeByKey(hello: Hello): AuthorizeResult {
  return connectionKeysMatch(hello.connectionKey, KEY)
    ? { ok: true, array: { id: 'array-b', name: 'tandem-b' } }
    : { ok: false, reason: 'The connection key is not valid.' };
}

interface TestListener {
  listener: ReplicationListener;
  port: number;
  lines: string[];
  /** Links the listener handed out, with the hello that came with each. */
  accepted: Array<{ link: ReplicationLink; hello: Hello }>;
  nextLink(): Promise<ReplicationLink>;
}

async function startListener(overrides: Partial<ReplicationListenerOptions> = {}): Promise<TestListener> {
  const { logger, lines } = capturingLogger();
  const accepted: TestListener['accepted'] = [];
  let wake: ((link: ReplicationLink) => void) | undefined;
  const listener = new ReplicationListener({
    host: LOCAL,
    port: 0,
    authorize: authorizeByKey,
    onLink: (link, hello) => {
      accepted.push({ link, hello });
      wake?.(link);
    },
    logger,
    ...overrides,
  });
  const { port } = await listener.listen();
  const nextLink = (): Promise<ReplicationLink> =>
    new Promise((resolve) => {
      wake = resolve;
    });
  return { listener, port, lines, accepted, nextLink };
}

/** Two links joined by the real handshake: `client` dialed, `server` was accepted. */
async function linkedPair(linkOptions: ReplicationLinkOptions = {}, serverLinkOptions = linkOptions) {
  const listening = await startListener({ linkOptions: serverLinkOptions });
  const serverLink = listening.nextLink();
  const { link: client } = await dialPeer({
    host: LOCAL,
    port: listening.port,
    hello: helloWith(KEY),
    linkOptions,
  });
  const server = await serverLink;
  return {
    client,
    server,
    close: async () => {
      client.destroy();
      await listening.listener.close();
    },
  };
}

/** Links on a bare TCP connection (no hello), with the server's socket at hand; null: no server link. */
async function rawPair(clientOptions: ReplicationLinkOptions, serverOptions: ReplicationLinkOptions | null) {
  const server = net.createServer();
  server.listen(0, LOCAL);
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const clientSocket = net.connect((server.address() as net.AddressInfo).port, LOCAL);
  const [serverSocket] = await accepted;
  return {
    client: new ReplicationLink(clientSocket, clientOptions),
    clientSocket,
    serverLink: serverOptions === null ? undefined : new ReplicationLink(serverSocket, serverOptions),
    serverSocket,
    close: async () => {
      clientSocket.destroy();
      serverSocket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function wire(frames: OutgoingFrame[]): Buffer {
  return Buffer.concat(frames.flatMap((frame) => encodeFrame(frame).chunks));
}

function decodeAll(decoder: FrameDecoder): Frame[] {
  const frames: Frame[] = [];
  for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) frames.push(frame);
  return frames;
}

function protocolErrorCode(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof LinkProtocolError, `expected LinkProtocolError, got ${error}`);
    return error.code;
  }
  assert.fail('expected a LinkProtocolError');
}

describe('replication link: frame codec', () => {
  const sample: OutgoingFrame[] = [
    {
      kind: 'request',
      requestId: 7,
      header: { type: 'write', offset: 4096, name: 'vol-ü' },
      payload: randomBytes(5000),
    },
    { kind: 'message', requestId: 0, header: { type: 'note' } },
    { kind: 'response', requestId: 7, header: { ok: true }, payload: randomBytes(17) },
    { kind: 'error-response', requestId: 9, header: { message: 'no' } },
  ];

  function assertSame(decoded: Frame[]): void {
    assert.equal(decoded.length, sample.length);
    decoded.forEach((frame, index) => {
      const sent = sample[index]!;
      assert.equal(frame.kind, sent.kind);
      assert.equal(frame.requestId, sent.requestId);
      assert.deepEqual(frame.header, sent.header);
      assert.ok(frame.payload.equals(sent.payload ?? Buffer.alloc(0)));
    });
  }

  test('frames round-trip when split into 1-byte chunks', () => {
    const bytes = wire(sample);
    const decoder = new FrameDecoder();
    const decoded: Frame[] = [];
    for (let at = 0; at < bytes.length; at++) {
      decoder.push(bytes.subarray(at, at + 1));
      decoded.push(...decodeAll(decoder));
    }
    assertSame(decoded);
    assert.equal(decoder.bufferedBytes, 0);
  });

  test('several frames in one chunk round-trip, payloads are views of that chunk (no copy)', () => {
    const bytes = wire(sample);
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    const decoded = decodeAll(decoder);
    assertSame(decoded);
    // 5000 bytes is past Buffer's pool size, so a copy would live in an ArrayBuffer of its own.
    assert.equal(decoded[0]!.payload.buffer, bytes.buffer);
  });

  test('a corrupted byte fails the crc, and the decoder stays failed', () => {
    const bytes = wire(sample.slice(0, 1));
    bytes[bytes.length - 5]! ^= 0x40;
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    assert.equal(
      protocolErrorCode(() => decoder.next()),
      'crc-mismatch',
    );
    assert.equal(
      protocolErrorCode(() => decoder.next()),
      'crc-mismatch',
    );
  });

  test('an oversize length is refused from the 20-byte prefix, before any payload is buffered', () => {
    const prefix = encodeFrame({ kind: 'message', requestId: 0, header: {} }).chunks[0]!;
    prefix.writeUInt32BE(REPLICATION_FRAME_MAX_BYTES + 1, 0);
    const decoder = new FrameDecoder();
    decoder.push(prefix);
    assert.equal(
      protocolErrorCode(() => decoder.next()),
      'frame-too-large',
    );
    const small = { kind: 'message', requestId: 0, header: {}, payload: Buffer.alloc(2048) } as const;
    assert.equal(
      protocolErrorCode(() => encodeFrame(small, 1024)),
      'frame-too-large',
    );
  });

  test('an unknown version is refused even with a valid crc', () => {
    const bytes = wire(sample.slice(1, 2));
    bytes.writeUInt8(2, 8);
    bytes.writeUInt32BE(crc32(bytes.subarray(8)), 4);
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    assert.equal(
      protocolErrorCode(() => decoder.next()),
      'version-unsupported',
    );
  });

  test('a header that is not a JSON object is refused', () => {
    const bytes = wire([{ kind: 'message', requestId: 0, header: [1, 2] }]);
    const decoder = new FrameDecoder();
    decoder.push(bytes);
    assert.equal(
      protocolErrorCode(() => decoder.next()),
      'header-not-object',
    );
  });
});

describe('replication link: handshake', () => {
  test('the right key connects; both sides learn each other; the key stays out of the hello handed on', {
    timeout: 5000,
  }, async () => {
    const listening = await startListener();
    try {
      const { link, peer } = await dialPeer({ host: LOCAL, port: listening.port, hello: helloWith(KEY) });
      assert.deepEqual(peer, { id: 'array-b', name: 'tandem-b' });
      await sleep(20);
      assert.equal(listening.accepted.length, 1);
      const { hello } = listening.accepted[0]!;
      assert.deepEqual(hello.array, { id: 'array-a', name: 'tandem-a' });
      assert.equal(hello.type, 'async-replication');
      assert.equal(hello.connectionKey, KEY);
      assert.ok(!JSON.stringify(hello).includes(KEY));
      assert.ok(!listening.lines.join('\n').includes(KEY));
      link.destroy();
    } finally {
      await listening.listener.close();
    }
  });

  test('a wrong key is refused, and neither key appears in the error or the logs', {
    timeout: 5000,
  }, async () => {
    // A careless authorize that puts the presented key in its reason: the listener redacts it.
    const listening = await startListener({
      authorize: (hello) =>
        connectionKeysMatch(hello.connectionKey, KEY)
          ? { ok: true, array: { id: 'array-b', name: 'tandem-b' } }
          : { ok: false, reason: `connection key ${hello.connectionKey} is not valid` },
    });
    try {
      const error = await dialPeer({ host: LOCAL, port: listening.port, hello: helloWith(WRONG_KEY) }).then(
        () => assert.fail('the dial should be refused'),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof LinkRefusedError);
      assert.equal(error.remoteCode, 'refused');
      assert.match(error.reason, /is not valid/);
      const texts = [error.message, error.reason, String(error.stack), ...listening.lines].join('\n');
      assert.ok(!texts.includes(WRONG_KEY), 'presented key leaked');
      assert.ok(!texts.includes(KEY), 'real key leaked');
      assert.equal(listening.accepted.length, 0);
    } finally {
      await listening.listener.close();
    }
  });

  test('garbage and silent clients are dropped while a good client still connects', {
    timeout: 5000,
  }, async () => {
    const listening = await startListener({ handshakeTimeoutMs: 300 });
    const silent = net.connect(listening.port, LOCAL);
    const garbage = net.connect(listening.port, LOCAL);
    const wrongKind = net.connect(listening.port, LOCAL);
    const oversized = net.connect(listening.port, LOCAL);
    const clients = [silent, garbage, wrongKind, oversized];
    for (const socket of clients) socket.on('error', () => {});
    const started = performance.now();
    try {
      const garbageClosed = once(garbage, 'close');
      const wrongKindClosed = once(wrongKind, 'close');
      const oversizedClosed = once(oversized, 'close');
      const silentClosed = once(silent, 'close').then(() => performance.now() - started);
      garbage.write('GET / HTTP/1.1\r\nHost: tandem\r\n\r\n');
      wrongKind.write(wire([{ kind: 'message', requestId: 0, header: { type: 'hello' } }]));
      // A 1 MiB "hello": refused from its prefix, before the key could be checked or the bytes held.
      const big = encodeFrame({
        kind: 'request',
        requestId: 1,
        header: helloWith(KEY),
        payload: Buffer.alloc(MiB),
      });
      oversized.write(big.chunks[0]!);

      const serverLink = listening.nextLink();
      const { link } = await dialPeer({ host: LOCAL, port: listening.port, hello: helloWith(KEY) });
      (await serverLink).handle('ping-me', () => ({ header: { pong: true } }));
      await Promise.all([garbageClosed, wrongKindClosed, oversizedClosed]);
      const silentMs = await silentClosed;
      assert.ok(silentMs >= 250 && silentMs < 1500, `silent client dropped after ${silentMs} ms`);
      assert.equal(link.state, 'open');
      assert.deepEqual((await link.request('ping-me', {})).header, { pong: true });
      link.destroy();
    } finally {
      for (const socket of clients) socket.destroy();
      await listening.listener.close();
    }
  });

  test('dialing a port nobody listens on fails with LinkConnectError connect-failed', {
    timeout: 5000,
  }, async () => {
    const listening = await startListener();
    const { port } = listening;
    await listening.listener.close();
    await assert.rejects(
      dialPeer({ host: LOCAL, port, hello: helloWith(KEY) }),
      (error: unknown) => error instanceof LinkConnectError && error.code === 'connect-failed',
    );
  });

  test('a peer that accepts but never answers the hello times the dial out', { timeout: 5000 }, async () => {
    const mute = net.createServer((socket) => socket.on('error', () => {}).resume());
    mute.listen(0, LOCAL);
    await once(mute, 'listening');
    try {
      const port = (mute.address() as net.AddressInfo).port;
      await assert.rejects(
        dialPeer({ host: LOCAL, port, hello: helloWith(KEY), timeoutMs: 200 }),
        (error: unknown) =>
          error instanceof LinkConnectError && error.code === 'timeout' && !error.message.includes(KEY),
      );
    } finally {
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });
});

describe('replication link: requests and messages', () => {
  test('requests go both ways; handler errors come back as RemoteError; unknown types are answered', {
    timeout: 5000,
  }, async () => {
    const pair = await linkedPair();
    try {
      pair.server.handle('add', (header) => ({
        header: { sum: (header.a as number) + (header.b as number) },
      }));
      pair.server.handle('fail', () => {
        throw Object.assign(new Error('volume is busy'), { code: 'busy' });
      });
      pair.client.handle('who', async () => ({ header: { me: 'client' }, payload: Buffer.from('hi') }));
      const seen: Array<{ header: unknown; payload: string }> = [];
      pair.server.onMessage('note', (header, payload) => {
        seen.push({ header, payload: payload.toString() });
      });

      assert.deepEqual((await pair.client.request('add', { a: 2, b: 3 })).header, { sum: 5 });
      const back = await pair.server.request('who', {});
      assert.deepEqual(back.header, { me: 'client' });
      assert.equal(back.payload.toString(), 'hi');

      const failed = await pair.client.request('fail', {}).catch((error: unknown) => error);
      assert.ok(failed instanceof RemoteError);
      assert.equal(failed.message, 'volume is busy');
      assert.equal(failed.code, 'busy');
      assert.ok(!String(failed.stack).includes('link.ts'), 'no remote stack crosses the wire');

      const unknown = await pair.server.request('no-such-type', {}).catch((error: unknown) => error);
      assert.ok(unknown instanceof RemoteError);
      assert.equal(unknown.code, 'unknown-type');

      await pair.client.send('note', { n: 1 }, Buffer.from('payload'));
      await sleep(20);
      assert.deepEqual(seen, [{ header: { n: 1, type: 'note' }, payload: 'payload' }]);
      assert.equal(pair.client.requestsInFlight, 0);
    } finally {
      await pair.close();
    }
  });

  test('a 16 MiB payload round-trips intact and is counted', { timeout: 8000 }, async () => {
    const pair = await linkedPair();
    try {
      pair.server.handle('echo', (_header, payload) => ({ header: { length: payload.length }, payload }));
      const data = randomBytes(16 * MiB);
      const answer = await pair.client.request('echo', {}, data);
      assert.equal(answer.header.length, data.length);
      assert.ok(answer.payload.equals(data));
      const sent = pair.client.counters;
      assert.equal(sent.payloadBytesSent, data.length);
      assert.equal(sent.payloadBytesReceived, data.length);
      assert.ok(sent.bytesSent > data.length && sent.bytesReceived > data.length);
      assert.equal(pair.server.counters.payloadBytesReceived, data.length);
    } finally {
      await pair.close();
    }
  });

  test('200 concurrent requests all complete, never more than the in-flight limit at the handler', {
    timeout: 8000,
  }, async () => {
    const pair = await linkedPair();
    try {
      let running = 0;
      let mostRunning = 0;
      pair.server.handle('slow', async (header) => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        await sleep(2);
        running--;
        return { header: { i: header.i } };
      });
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => pair.client.request('slow', { i })),
      );
      answers.forEach((answer, i) => {
        assert.equal(answer.header.i, i);
      });
      assert.ok(mostRunning <= REPLICATION_REQUESTS_INFLIGHT_MAX, `${mostRunning} ran at once`);
      assert.ok(mostRunning >= REPLICATION_REQUESTS_INFLIGHT_MAX / 2, `only ${mostRunning} ran at once`);
    } finally {
      await pair.close();
    }
  });

  test('a frame larger than the socket can take waits for drain; the socket buffer stays bounded', {
    timeout: 5000,
  }, async () => {
    const pair = await rawPair({}, null); // nobody reads the server side yet
    try {
      let sent = false;
      const sending = pair.client.send('bulk', {}, randomBytes(32 * MiB)).then(() => {
        sent = true;
      });
      await sleep(150);
      assert.equal(sent, false, 'the send waits while the peer does not read');
      const bufferedBytes = pair.clientSocket.writableLength;
      assert.ok(
        bufferedBytes <= REPLICATION_WRITE_SLICE_BYTES + 64 * 1024,
        `${bufferedBytes} bytes buffered`,
      );
      let receivedBytes = 0;
      pair.serverSocket.on('data', (chunk: Buffer) => {
        receivedBytes += chunk.length;
      });
      await sending;
      assert.equal(pair.client.counters.payloadBytesSent, 32 * MiB);
      await sleep(50);
      assert.ok(receivedBytes > 32 * MiB);
    } finally {
      await pair.close();
    }
  });

  test('past its handling limit a link stops reading, and that pause is not taken for peer silence', {
    timeout: 5000,
  }, async () => {
    const liveness = { heartbeatMs: 40, deadAfterMs: 200 };
    const pair = await linkedPair(liveness, { ...liveness, handlingMax: 2 });
    try {
      let running = 0;
      let mostRunning = 0;
      pair.server.handle('slow', async () => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        await sleep(150);
        running--;
        return { header: {} };
      });
      // 8 requests at 2 at a time: the server reads nothing for 600 ms, three times deadAfterMs.
      await Promise.all(Array.from({ length: 8 }, () => pair.client.request('slow', {})));
      assert.equal(mostRunning, 2);
      assert.equal(pair.server.state, 'open');
      assert.equal(pair.client.state, 'open');
    } finally {
      await pair.close();
    }
  });

  test('close() lets an outstanding request finish, then both sides close once', {
    timeout: 5000,
  }, async () => {
    const pair = await linkedPair();
    try {
      pair.server.handle('slow', async () => {
        await sleep(100);
        return { header: { done: true } };
      });
      const clientReasons: LinkCloseReason[] = [];
      const serverReasons: LinkCloseReason[] = [];
      pair.client.on('close', (reason) => clientReasons.push(reason));
      pair.server.on('close', (reason) => serverReasons.push(reason));
      const outstanding = pair.client.request('slow', {});
      await sleep(10);
      const closed = pair.client.close();
      await assert.rejects(pair.client.request('slow', {}), LinkClosedError);
      assert.deepEqual((await outstanding).header, { done: true });
      await closed;
      await sleep(50);
      assert.deepEqual(clientReasons, ['local-close']);
      assert.deepEqual(serverReasons, ['peer-closed']);
    } finally {
      await pair.close();
    }
  });

  test('a link that receives garbage closes with protocol-error', { timeout: 5000 }, async () => {
    const pair = await rawPair({}, null);
    try {
      const closed = once(pair.client, 'close');
      pair.serverSocket.write(Buffer.alloc(64, 0xff));
      assert.equal((await closed)[0], 'protocol-error');
      assert.equal(pair.client.state, 'closed');
    } finally {
      await pair.close();
    }
  });
});

describe('replication link: liveness', () => {
  test('heartbeats keep an idle link alive', { timeout: 5000 }, async () => {
    const pair = await linkedPair({ heartbeatMs: 40, deadAfterMs: 200 });
    try {
      await sleep(600);
      assert.equal(pair.client.state, 'open');
      assert.equal(pair.server.state, 'open');
      assert.ok(pair.client.counters.framesSent >= 5, 'pings were sent');
    } finally {
      await pair.close();
    }
  });

  test('a peer that stops reading and pinging is declared dead; pending and queued requests fail', {
    timeout: 5000,
  }, async () => {
    const deadAfterMs = 300;
    const pair = await rawPair(
      { heartbeatMs: 50, deadAfterMs, requestsInflightMax: 2 },
      { heartbeatMs: 60_000, deadAfterMs: 60_000 },
    );
    try {
      pair.serverSocket.pause(); // the peer hangs: reads nothing, sends nothing
      const reasons: LinkCloseReason[] = [];
      pair.client.on('close', (reason) => reasons.push(reason));
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () => pair.client.request('anything', {}).catch((error: unknown) => error)),
      );
      const elapsedMs = performance.now() - started;
      for (const outcome of outcomes) {
        assert.ok(outcome instanceof LinkClosedError);
        assert.equal(outcome.reason, 'dead');
      }
      assert.ok(elapsedMs >= deadAfterMs - 20 && elapsedMs < deadAfterMs + 400, `dead after ${elapsedMs} ms`);
      await sleep(20);
      assert.deepEqual(reasons, ['dead']);
      assert.equal(pair.client.state, 'closed');
    } finally {
      pair.serverLink?.destroy();
      await pair.close();
    }
  });
});

describe('replication link: PeerConnector', () => {
  const fast = { backoffInitialMs: 20, backoffMaxMs: 200, dialTimeoutMs: 1000 };

  test('reconnects after the listener restarts on the same port', { timeout: 8000 }, async () => {
    const first = await startListener();
    const connector = new PeerConnector({
      host: LOCAL,
      port: first.port,
      hello: () => helloWith(KEY),
      ...fast,
    });
    let second: TestListener | undefined;
    try {
      const up = once(connector, 'up');
      connector.start();
      await up;
      assert.equal(connector.state, 'connected');
      assert.ok(connector.current() !== undefined);

      const down = once(connector, 'down');
      await first.listener.close();
      await down;
      assert.equal(connector.state, 'connecting');
      assert.equal(connector.current(), undefined);
      await sleep(100); // a few dials fail against the closed port

      second = await startListener({
        port: first.port,
        onLink: (link) => link.handle('hello-again', () => ({ header: { from: 'second' } })),
      });
      const [link] = (await once(connector, 'up')) as [ReplicationLink];
      assert.equal(connector.current(), link);
      assert.deepEqual((await link.request('hello-again', {})).header, { from: 'second' });
    } finally {
      await connector.stop();
      assert.equal(connector.state, 'stopped');
      await first.listener.close();
      await second?.listener.close();
    }
  });

  test('a wrong key is reported as refused and retried only with backoff', { timeout: 5000 }, async () => {
    const listening = await startListener();
    const connector = new PeerConnector({
      host: LOCAL,
      port: listening.port,
      hello: helloWith(WRONG_KEY),
      backoffInitialMs: 50,
      backoffMaxMs: 1000,
    });
    const reasons: string[] = [];
    connector.on('refused', (reason) => reasons.push(reason));
    connector.on('up', () => assert.fail('a wrong key must not connect'));
    try {
      connector.start();
      await sleep(400); // dials at about 0, 50, 150 and 350 ms
      assert.ok(reasons.length >= 2 && reasons.length <= 5, `${reasons.length} refusals in 400 ms`);
      for (const reason of reasons) {
        assert.equal(reason, 'The connection key is not valid.');
        assert.ok(!reason.includes(WRONG_KEY));
      }
      assert.equal(connector.state, 'connecting');
      assert.equal(connector.current(), undefined);
    } finally {
      await connector.stop();
      await listening.listener.close();
    }
  });
});
