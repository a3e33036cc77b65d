// The block index's in-memory structures against a plain Map as the model: random operations
// (seeded) across pages and chunk boundaries, with layer chunks that turn dense and back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdTable, LayerMap } from '../../src/array/engine/index-maps.js';
import { INDEX_MAP_CHUNK_BLOCKS } from '../../src/constants.js';
import { seededRandom } from '../helpers/seeded-random.js';

test('IdTable: get, set, delete, size and ordered entries, for ids past 2^32 too', () => {
  const table = new IdTable<string>();
  const model = new Map<number, string>();
  const ids = [
    0,
    1,
    65_535,
    4095,
    4096,
    65_536,
    65_537,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 32 + 5,
    2 ** 40 + 3,
  ];
  for (const id of ids) {
    table.set(id, `v${id}`);
    model.set(id, `v${id}`);
  }
  table.set(65_536, 'again');
  model.set(65_536, 'again');
  for (const id of ids) assert.equal(table.get(id), model.get(id), String(id));
  assert.equal(table.get(2 ** 32 + 6), undefined);
  assert.equal(table.size, model.size);
  table.delete(2 ** 32);
  model.delete(2 ** 32);
  table.delete(12_345); // never set
  assert.equal(table.get(2 ** 32), undefined);
  assert.equal(table.get(0), 'v0', 'an id that shares 32 low bits with a deleted one is not touched');
  assert.equal(table.size, model.size);
  assert.deepEqual(
    [...table.entries()],
    [...model].sort((a, b) => a[0] - b[0]),
  );
  // A page that empties goes, and a later id in it starts a fresh one.
  table.delete(2 ** 40 + 3);
  assert.equal(table.get(2 ** 40 + 3), undefined);
  table.set(2 ** 40 + 4, 'fresh');
  assert.equal(table.get(2 ** 40 + 4), 'fresh');
  assert.equal(table.get(2 ** 40 + 3), undefined);
  assert.equal(table.size, model.size, 'one deleted, one added');
});

test('LayerMap: random sets and deletes match a Map, while chunks turn dense and sparse again', () => {
  const next = seededRandom(6);
  const map = new LayerMap();
  const model = new Map<number, number>();
  const span = 3 * INDEX_MAP_CHUNK_BLOCKS;
  const check = (label: string) => {
    assert.equal(map.size, model.size, `${label}: size`);
    const from = Math.floor(next() * span);
    const to = from + 1 + Math.floor(next() * span);
    const expected = [...model].filter(([b]) => b >= from && b < to).sort((a, b) => a[0] - b[0]);
    assert.deepEqual([...map.range(from, to)], expected, `${label}: range ${from}-${to}`);
    for (let i = 0; i < 200; i++) {
      const blockIndex = Math.floor(next() * span);
      assert.equal(map.get(blockIndex), model.get(blockIndex), `${label}: block ${blockIndex}`);
    }
  };
  // Fill chunk 0 densely (past the point where it turns dense), chunk 2 sparsely.
  for (let i = 0; i < 3000; i++) {
    const blockIndex = Math.floor(next() * INDEX_MAP_CHUNK_BLOCKS);
    const blockId = Math.floor(next() * 1e9);
    map.set(blockIndex, blockId);
    model.set(blockIndex, blockId);
  }
  for (let i = 0; i < 100; i++) {
    const blockIndex = 2 * INDEX_MAP_CHUNK_BLOCKS + Math.floor(next() * INDEX_MAP_CHUNK_BLOCKS);
    map.set(blockIndex, 0);
    model.set(blockIndex, 0);
  }
  check('filled');
  // Empty chunk 0 again (it turns sparse on the way), then mix.
  for (const blockIndex of [...model.keys()].filter((b) => b < INDEX_MAP_CHUNK_BLOCKS)) {
    map.delete(blockIndex);
    model.delete(blockIndex);
    if (model.size % 500 === 0) check(`emptying at ${model.size}`);
  }
  check('emptied');
  for (let i = 0; i < 20_000; i++) {
    const blockIndex = Math.floor(next() * span);
    if (next() < 0.6) {
      const blockId = Math.floor(next() * 2 ** 40);
      map.set(blockIndex, blockId);
      model.set(blockIndex, blockId);
    } else {
      map.delete(blockIndex);
      model.delete(blockIndex);
    }
  }
  check('mixed');
});
