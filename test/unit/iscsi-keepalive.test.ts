import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NopInKeepalive } from '../../src/array/iscsi/keepalive.js';

test('keepalive: pings after the quiet interval, one at a time, and times out an unanswered ping', () => {
  const keepalive = new NopInKeepalive({ intervalMs: 100, responseTimeoutMs: 300 }, 0);
  assert.equal(keepalive.tick(99), null);
  keepalive.inputSeen(50);
  assert.equal(keepalive.tick(149), null, 'input restarts the interval');
  const ping = keepalive.tick(150);
  assert.equal(ping?.kind, 'ping');
  keepalive.inputSeen(200);
  assert.equal(keepalive.tick(400), null, 'one ping outstanding at a time; input alone does not answer it');
  assert.deepEqual(keepalive.tick(450), { kind: 'timeout', ttt: ping!.ttt });
});

test('keepalive: only the outstanding TTT answers; tags never take the reserved value', () => {
  const keepalive = new NopInKeepalive({ intervalMs: 10, responseTimeoutMs: 1000 }, 0);
  const first = keepalive.tick(10)!;
  assert.equal(keepalive.answered(first.ttt + 1), false);
  assert.equal(keepalive.answered(first.ttt), true);
  assert.equal(keepalive.answered(first.ttt), false, 'already answered');
  keepalive.inputSeen(20);
  const second = keepalive.tick(30)!;
  assert.equal(second.kind, 'ping');
  assert.notEqual(second.ttt, first.ttt);
  assert.equal(keepalive.answered(second.ttt), true);
  const tags = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const ping = keepalive.tick(1000 * (i + 2))!;
    keepalive.answered(ping.ttt);
    tags.add(ping.ttt);
  }
  assert.ok(![...tags].includes(0xffffffff));
});
