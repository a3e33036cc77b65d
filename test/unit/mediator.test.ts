import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MEDIATOR_BODY_MAX_BYTES, MEDIATOR_EPOCHS_KEPT_PER_POD } from '../../src/constants.js';
import { ClaimService } from '../../src/mediator/claim-service.js';
import { MediatorClient } from '../../src/mediator/client.js';
import {
  DataDirInUseError,
  GrantsFileError,
  MediatorHttpError,
  PodLimitError,
} from '../../src/mediator/errors.js';
import { GRANTS_FILE_NAME } from '../../src/mediator/grant-store.js';
import { GrantTable, NO_HOLDER } from '../../src/mediator/grants.js';
import { startMediator } from '../../src/mediator/server.js';
import { CLI_PATH, freePort, makeTempDir, waitFor } from '../helpers/array-process.js';

const LOCAL = '127.0.0.1';
const QUICK = { timeout: 10_000 };
const PROCESS = { timeout: 30_000 };

/** A mediator on a free port in a temp dir (or the given one); `stop` closes it and removes its own dir. */
async function tempMediator(dataDir?: string) {
  const dir = dataDir ? null : await makeTempDir('tandem-mediator-');
  const mediator = await startMediator({ host: LOCAL, port: 0, dataDir: dataDir ?? dir!.path });
  const url = `http://${LOCAL}:${mediator.address.port}`;
  return {
    mediator,
    url,
    dataDir: dataDir ?? dir!.path,
    client: new MediatorClient(url, { timeoutMs: 5000 }),
    stop: async () => {
      await mediator.close();
      await dir?.remove();
    },
  };
}

async function call(url: string, method: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, body: json };
}

describe('mediator grant table (no I/O)', () => {
  test('first claim of an epoch wins; the other array is denied; the winner is granted again', () => {
    const table = new GrantTable();
    assert.deepEqual(table.claim('pod1', 1, 'array-a'), { granted: true, holder: 'array-a' });
    assert.deepEqual(table.claim('pod1', 1, 'array-b'), { granted: false, holder: 'array-a' });
    assert.deepEqual(table.claim('pod1', 1, 'array-a'), { granted: true, holder: 'array-a' });
    assert.deepEqual(table.grantsOf('pod1'), [{ epoch: 1, holder: 'array-a' }]);
  });

  test('pruning keeps the newest epochs; an older epoch is denied to every array, also after reload', () => {
    const table = new GrantTable();
    for (let epoch = 0; epoch < 20; epoch++) table.claim('pod1', epoch, epoch % 2 ? 'array-a' : 'array-b');
    const kept = table.grantsOf('pod1').map((g) => g.epoch);
    assert.equal(kept.length, MEDIATOR_EPOCHS_KEPT_PER_POD);
    assert.deepEqual(
      kept,
      Array.from({ length: MEDIATOR_EPOCHS_KEPT_PER_POD }, (_, i) => 20 - 16 + i),
    );
    // Epoch 3 was array-a's, but it is forgotten: nobody can prove it free, so nobody gets it.
    assert.deepEqual(table.claim('pod1', 3, 'array-a'), { granted: false, holder: NO_HOLDER });
    assert.deepEqual(table.claim('pod1', 0, 'array-c'), { granted: false, holder: NO_HOLDER });
    assert.deepEqual(table.claim('pod1', 20, 'array-b'), { granted: true, holder: 'array-b' });
    assert.equal(table.grantsOf('pod1')[0]?.epoch, 5);

    const reloaded = GrantTable.fromJSON(JSON.parse(JSON.stringify(table.toJSON())));
    assert.deepEqual(reloaded.claim('pod1', 4, 'array-b'), { granted: false, holder: NO_HOLDER });
    assert.deepEqual(reloaded.claim('pod1', 20, 'array-a'), { granted: false, holder: 'array-b' });
    assert.deepEqual(reloaded.grantsOf('pod1'), table.grantsOf('pod1'));
  });

  test('a full pod denies an epoch older than all it keeps (it would be forgotten at once)', () => {
    const table = new GrantTable();
    for (let i = 0; i <= MEDIATOR_EPOCHS_KEPT_PER_POD; i++) table.claim('pod1', i * 10, 'array-a');
    assert.equal(table.grantsOf('pod1')[0]?.epoch, 10);
    assert.deepEqual(table.claim('pod1', 5, 'array-b'), { granted: false, holder: NO_HOLDER });
    assert.deepEqual(table.claim('pod1', 15, 'array-b'), { granted: true, holder: 'array-b' });
  });

  test('the pod limit refuses new pods with a typed error; known pods still work', () => {
    const table = new GrantTable({ epochsKeptPerPod: 4, podsMax: 2 });
    table.claim('pod1', 1, 'array-a');
    table.claim('pod2', 1, 'array-a');
    assert.throws(() => table.claim('pod3', 1, 'array-a'), PodLimitError);
    assert.deepEqual(table.claim('pod2', 2, 'array-b'), { granted: true, holder: 'array-b' });
  });

  test('format: a version 1 file (as written by the first release) opens and writes back unchanged', () => {
    const v1 = {
      magic: 'tandem-mediator-grants',
      version: 1,
      checksum: '2b51f4fca40a4825cb866d5c7a20fecb1a58b05cdaccd6194af7ce955a28c362',
      pods: [
        {
          pod: 'pod-a',
          prunedThrough: 3,
          grants: [
            { epoch: 4, holder: 'array-1' },
            { epoch: 5, holder: 'array-2' },
          ],
        },
        { pod: 'pod-b', prunedThrough: null, grants: [{ epoch: 0, holder: 'array-2' }] },
      ],
    };
    const table = GrantTable.fromJSON(v1);
    assert.deepEqual(table.toJSON(), v1);
    assert.deepEqual(table.claim('pod-a', 4, 'array-2'), { granted: false, holder: 'array-1' });
    assert.deepEqual(table.claim('pod-a', 3, 'array-2'), { granted: false, holder: NO_HOLDER });
    assert.deepEqual(table.claim('pod-b', 0, 'array-2'), { granted: true, holder: 'array-2' });
  });

  test('a bad grants value is refused with a reason', () => {
    const good = (() => {
      const table = new GrantTable();
      table.claim('pod1', 1, 'array-a');
      return table.toJSON();
    })();
    const cases: [unknown, RegExp][] = [
      [[], /not a JSON object/],
      [{ ...good, magic: 'x' }, /not a mediator grants file/],
      [{ ...good, version: 2 }, /format version 2/],
      [{ ...good, pods: 'x' }, /no pods list/],
      [{ ...good, pods: [{ ...good.pods[0], grants: [{ epoch: 1, holder: 'array-b' }] }] }, /checksum/],
    ];
    for (const [value, reason] of cases) {
      assert.throws(
        () => GrantTable.fromJSON(value),
        (error: unknown) => error instanceof GrantsFileError && reason.test(error.reason),
      );
    }
  });
});

describe('mediator claim service', () => {
  test('a grant that could not be saved is not answered; the next claim saves it first', QUICK, async () => {
    let failSaves = 1;
    let saves = 0;
    const service = new ClaimService(new GrantTable(), async () => {
      if (failSaves-- > 0) throw new Error('ENOSPC');
      saves++;
    });
    await assert.rejects(
      service.claim('pod1', 1, 'array-a'),
      (error: unknown) =>
        error instanceof MediatorHttpError && error.status === 503 && error.code === 'not-saved',
    );
    // The answer to array-b rests on array-a's grant, so that grant is saved before it is given.
    assert.deepEqual(await service.claim('pod1', 1, 'array-b'), { granted: false, holder: 'array-a' });
    assert.equal(saves, 1);
    assert.deepEqual(await service.claim('pod1', 1, 'array-a'), { granted: true, holder: 'array-a' });
    assert.equal(saves, 1);
  });

  test(
    'claims past the pending limit are refused at once (503 busy); the pod limit is a 507',
    QUICK,
    async () => {
      let releaseSave: () => void = () => {};
      const service = new ClaimService(
        new GrantTable({ epochsKeptPerPod: 4, podsMax: 1 }),
        () => new Promise<void>((resolve) => (releaseSave = resolve)),
        undefined,
        2,
      );
      const first = service.claim('pod1', 1, 'array-a');
      const second = service.claim('pod1', 1, 'array-b');
      await assert.rejects(
        service.claim('pod1', 1, 'array-b'),
        (error: unknown) =>
          error instanceof MediatorHttpError && error.status === 503 && error.code === 'busy',
      );
      await new Promise((r) => setImmediate(r));
      releaseSave();
      assert.deepEqual(await first, { granted: true, holder: 'array-a' });
      assert.deepEqual(await second, { granted: false, holder: 'array-a' });
      await assert.rejects(
        service.claim('pod2', 1, 'array-a'),
        (error: unknown) => error instanceof MediatorHttpError && error.status === 507,
      );
    },
  );
});

describe('mediator over HTTP', () => {
  test('health, first claim wins, second array denied, winner repeat granted', QUICK, async () => {
    const m = await tempMediator();
    try {
      assert.deepEqual(await call(`${m.url}/health`, 'GET'), {
        status: 200,
        body: { status: 'ok', version: 1 },
      });
      assert.equal(await m.client.health(), true);
      assert.deepEqual(await m.client.claim('pod1', 7, 'array-a'), { granted: true, holder: 'array-a' });
      assert.deepEqual(await m.client.claim('pod1', 7, 'array-b'), { granted: false, holder: 'array-a' });
      assert.deepEqual(await m.client.claim('pod1', 7, 'array-a'), { granted: true, holder: 'array-a' });
      const raw = await call(
        `${m.url}/claims`,
        'POST',
        JSON.stringify({ pod: 'pod1', epoch: 7, array: 'array-b' }),
      );
      assert.deepEqual(raw, { status: 200, body: { granted: false, holder: 'array-a', epoch: 7 } });
    } finally {
      await m.stop();
    }
  });

  test('different epochs and different pods are decided independently', QUICK, async () => {
    const m = await tempMediator();
    try {
      assert.deepEqual(await m.client.claim('pod1', 1, 'array-a'), { granted: true, holder: 'array-a' });
      assert.deepEqual(await m.client.claim('pod1', 2, 'array-b'), { granted: true, holder: 'array-b' });
      assert.deepEqual(await m.client.claim('pod2', 1, 'array-b'), { granted: true, holder: 'array-b' });
      assert.deepEqual(await m.client.claim('pod1', 1, 'array-b'), { granted: false, holder: 'array-a' });
      assert.deepEqual(await m.client.claim('pod2', 2, 'array-a'), { granted: true, holder: 'array-a' });
      const listed = await call(`${m.url}/claims?pod=pod1`, 'GET');
      assert.deepEqual(listed.body, {
        grants: [
          { epoch: 1, holder: 'array-a' },
          { epoch: 2, holder: 'array-b' },
        ],
      });
      assert.deepEqual((await call(`${m.url}/claims?pod=pod9`, 'GET')).body, { grants: [] });
    } finally {
      await m.stop();
    }
  });

  test('50 concurrent claims from two arrays for one epoch -> exactly one holder', QUICK, async () => {
    const m = await tempMediator();
    try {
      const other = new MediatorClient(m.url, { timeoutMs: 5000 });
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 2 ? m.client.claim('pod1', 3, 'array-a') : other.claim('pod1', 3, 'array-b'),
        ),
      );
      const holders = new Set(answers.map((a) => ('holder' in a ? a.holder : 'unreachable')));
      assert.equal(holders.size, 1);
      const [holder] = holders;
      assert.ok(holder === 'array-a' || holder === 'array-b');
      answers.forEach((answer, i) => {
        const array = i % 2 ? 'array-a' : 'array-b';
        assert.deepEqual(answer, { granted: array === holder, holder });
      });
      assert.deepEqual((await call(`${m.url}/claims?pod=pod1`, 'GET')).body, {
        grants: [{ epoch: 3, holder }],
      });
    } finally {
      await m.stop();
    }
  });

  test('grants survive a restart on the same data dir: the other array is still denied', QUICK, async () => {
    const dir = await makeTempDir('tandem-mediator-');
    try {
      const first = await tempMediator(dir.path);
      assert.deepEqual(await first.client.claim('pod1', 4, 'array-a'), { granted: true, holder: 'array-a' });
      await first.stop();
      const second = await tempMediator(dir.path);
      try {
        assert.deepEqual(await second.client.claim('pod1', 4, 'array-b'), {
          granted: false,
          holder: 'array-a',
        });
        assert.deepEqual(await second.client.claim('pod1', 4, 'array-a'), {
          granted: true,
          holder: 'array-a',
        });
      } finally {
        await second.stop();
      }
    } finally {
      await dir.remove();
    }
  });

  test('a second mediator on the same data dir is refused', QUICK, async () => {
    const m = await tempMediator();
    try {
      await assert.rejects(startMediator({ host: LOCAL, port: 0, dataDir: m.dataDir }), DataDirInUseError);
      assert.equal(await m.client.health(), true);
    } finally {
      await m.stop();
    }
  });

  test(
    'a damaged grants file stops the start with a clear error (and frees the data dir)',
    QUICK,
    async () => {
      const dir = await makeTempDir('tandem-mediator-');
      try {
        const m = await tempMediator(dir.path);
        await m.client.claim('pod1', 1, 'array-a');
        await m.stop();
        const path = join(dir.path, GRANTS_FILE_NAME);
        const good = await readFile(path, 'utf8');
        const damages: [string, RegExp][] = [
          [good.slice(0, good.length / 2), /is not valid JSON/],
          [good.replace('"holder":"array-a"', '"holder":"array-b"'), /does not match its checksum/],
          [good.replace('"version":1', '"version":2'), /format version 2/],
          ['', /is not valid JSON/],
        ];
        for (const [text, reason] of damages) {
          await writeFile(path, text);
          await assert.rejects(
            startMediator({ host: LOCAL, port: 0, dataDir: dir.path }),
            (error: unknown) =>
              error instanceof GrantsFileError && error.message.includes(path) && reason.test(error.message),
          );
        }
        await writeFile(path, good);
        const again = await tempMediator(dir.path);
        assert.deepEqual(await again.client.claim('pod1', 1, 'array-b'), {
          granted: false,
          holder: 'array-a',
        });
        await again.stop();
      } finally {
        await dir.remove();
      }
    },
  );

  test(
    'bad bodies get 400 with a reason, unknown routes 404, big bodies 413; never a 500',
    QUICK,
    async () => {
      const m = await tempMediator();
      try {
        const claims = `${m.url}/claims`;
        const bad: [string | undefined, RegExp][] = [
          ['{not json', /not valid JSON/],
          [undefined, /JSON object/],
          ['[1,2]', /JSON object/],
          ['"pod1"', /JSON object/],
          ['{"epoch":1,"array":"a"}', /pod must be a string/],
          ['{"pod":"","epoch":1,"array":"a"}', /pod must be 1 to/],
          [JSON.stringify({ pod: 'p'.repeat(129), epoch: 1, array: 'a' }), /pod must be 1 to/],
          ['{"pod":"pod 1","epoch":1,"array":"a"}', /pod may hold only/],
          ['{"pod":"p","epoch":-1,"array":"a"}', /epoch must be a non-negative integer/],
          ['{"pod":"p","epoch":1.5,"array":"a"}', /epoch must be/],
          ['{"pod":"p","epoch":"3","array":"a"}', /epoch must be/],
          ['{"pod":"p","epoch":1e300,"array":"a"}', /epoch must be/],
          ['{"pod":"p","epoch":1,"array":null}', /array must be a string/],
        ];
        for (const [body, reason] of bad) {
          const answer = await call(claims, 'POST', body);
          assert.equal(answer.status, 400, `${body} -> ${JSON.stringify(answer.body)}`);
          assert.match(answer.body.error, reason);
        }
        const big = await call(claims, 'POST', JSON.stringify({ pod: 'x'.repeat(MEDIATOR_BODY_MAX_BYTES) }));
        assert.equal(big.status, 413);
        assert.match(big.body.error, /larger than/);
        const noPod = await call(claims, 'GET');
        assert.equal(noPod.status, 400);
        assert.match(noPod.body.error, /pod/);
        assert.equal((await call(`${m.url}/nothing`, 'GET')).status, 404);
        assert.equal((await call(claims, 'DELETE')).status, 404);
        // The server is unharmed and granted nothing.
        assert.deepEqual((await call(`${claims}?pod=p`, 'GET')).body, { grants: [] });
        const client = new MediatorClient(m.url);
        const refused = await client.claim('pod 1', 1, 'array-a');
        assert.ok('unreachable' in refused && /HTTP 400: pod may hold only/.test(refused.reason));
      } finally {
        await m.stop();
      }
    },
  );
});

describe('mediator client', () => {
  test('nothing listening -> unreachable, not a throw; health is false', QUICK, async () => {
    const client = new MediatorClient(`http://${LOCAL}:${await freePort()}`, { timeoutMs: 2000 });
    const answer = await client.claim('pod1', 1, 'array-a');
    assert.ok('unreachable' in answer, JSON.stringify(answer));
    assert.match(answer.reason, /cannot reach the mediator \(ECONNREFUSED\)/);
    assert.equal(await client.health(), false);
  });

  test('a server that never answers -> unreachable within the timeout', QUICK, async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    silent.listen(0, LOCAL);
    await once(silent, 'listening');
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const client = new MediatorClient(`http://${LOCAL}:${port}`, { timeoutMs: 200 });
      const startedMs = performance.now();
      const answer = await client.claim('pod1', 1, 'array-a');
      const elapsedMs = performance.now() - startedMs;
      assert.deepEqual(answer, { unreachable: true, reason: 'no answer within 200 ms' });
      assert.ok(elapsedMs >= 150 && elapsedMs < 2000, `took ${elapsedMs} ms`);
      assert.equal(await client.health(), false);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('configuration mistakes are thrown at construction', () => {
    assert.throws(() => new MediatorClient('ftp://x'), TypeError);
    assert.throws(() => new MediatorClient('not a url'), TypeError);
    assert.throws(() => new MediatorClient('http://x', { timeoutMs: 0 }), RangeError);
  });
});

describe('tandem mediator start (real process)', () => {
  async function startCli(dataDir: string, port: number) {
    const child = spawn(
      process.execPath,
      [CLI_PATH, 'mediator', 'start', '--listen', `${LOCAL}:${port}`, '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await waitFor(
      async () => output.includes('mediator is up') || child.exitCode !== null,
      15_000,
      () => `mediator did not start:\n${output}`,
    );
    assert.ok(output.includes(`mediator is up on http://${LOCAL}:${port}`), output);
    return { child, exited, output: () => output };
  }

  test('starts, grants over HTTP, and stops cleanly on SIGTERM', PROCESS, async () => {
    const dir = await makeTempDir('tandem-mediator-cli-');
    const port = await freePort();
    try {
      const cli = await startCli(dir.path, port);
      const client = new MediatorClient(`http://${LOCAL}:${port}`);
      assert.equal(await client.health(), true);
      assert.deepEqual(await client.claim('pod1', 1, 'array-a'), { granted: true, holder: 'array-a' });
      assert.deepEqual(await client.claim('pod1', 1, 'array-b'), { granted: false, holder: 'array-a' });
      cli.child.kill('SIGTERM');
      const [code, signal] = await cli.exited;
      assert.equal(code, 0, `exit ${code} ${signal}\n${cli.output()}`);
      assert.equal(existsSync(join(dir.path, 'mediator.pid')), false);
      assert.equal(await client.health(), false);
    } finally {
      await dir.remove();
    }
  });

  test(
    'SIGKILL right after a grant -> the restarted mediator still denies the other array',
    PROCESS,
    async () => {
      const dir = await makeTempDir('tandem-mediator-cli-');
      const port = await freePort();
      try {
        const first = await startCli(dir.path, port);
        const client = new MediatorClient(`http://${LOCAL}:${port}`);
        assert.deepEqual(await client.claim('pod1', 9, 'array-a'), { granted: true, holder: 'array-a' });
        first.child.kill('SIGKILL');
        await first.exited;
        const second = await startCli(dir.path, port);
        try {
          assert.deepEqual(await client.claim('pod1', 9, 'array-b'), { granted: false, holder: 'array-a' });
        } finally {
          second.child.kill('SIGTERM');
          await second.exited;
        }
      } finally {
        await dir.remove();
      }
    },
  );
});
