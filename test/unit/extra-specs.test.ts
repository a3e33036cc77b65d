// Cinder's extra-spec grammar, one row per behaviour. Expected outcomes were checked against
// Cinder's own extra_specs_ops.match (HEAD ab09bc39) run under Python 3; 'cinder-raises' marks
// the rows where Cinder throws instead of answering.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EXTRA_SPEC_OPERATORS,
  evaluateExtraSpec,
  matchExtraSpec,
  type SpecOutcome,
} from '../../src/cinder/scheduler/extra-spec-ops.js';

interface Row {
  readonly name: string;
  readonly value: unknown;
  readonly requirement: string | null;
  readonly expected: SpecOutcome;
}

function runTable(group: string, rows: readonly Row[]): void {
  for (const row of rows) {
    test(`extra spec ${group}: ${row.name}`, () => {
      assert.equal(evaluateExtraSpec(row.value, row.requirement), row.expected);
      assert.equal(matchExtraSpec(row.value, row.requirement), row.expected === 'match');
    });
  }
}

runTable('without operator', [
  { name: 'null requirement matches a null value', value: null, requirement: null, expected: 'match' },
  { name: 'null requirement refuses any value', value: 'x', requirement: null, expected: 'no-match' },
  { name: "'sync' equals 'sync'", value: 'sync', requirement: 'sync', expected: 'match' },
  {
    name: "'sync' does not match 'async' (no substring here)",
    value: 'async',
    requirement: 'sync',
    expected: 'no-match',
  },
  {
    name: "' sync' is not trimmed, so it misses 'sync'",
    value: 'sync',
    requirement: ' sync',
    expected: 'no-match',
  },
  { name: "'1' misses the number 1 (type-sensitive)", value: 1, requirement: '1', expected: 'no-match' },
  {
    name: "'True' misses the boolean true (type-sensitive)",
    value: true,
    requirement: 'True',
    expected: 'no-match',
  },
  {
    name: "multi-word literal 'Pure Storage'",
    value: 'Pure Storage',
    requirement: 'Pure Storage',
    expected: 'match',
  },
  { name: "'> 2' is a literal, not a comparison", value: 3, requirement: '> 2', expected: 'no-match' },
  { name: "'> 2' matches only the text '> 2'", value: '> 2', requirement: '> 2', expected: 'match' },
  {
    name: "'<all-in> a b' is Nova-only, so a literal",
    value: ['a', 'b'],
    requirement: '<all-in> a b',
    expected: 'no-match',
  },
  {
    name: "'<all-in> a b' matches its own text",
    value: '<all-in> a b',
    requirement: '<all-in> a b',
    expected: 'match',
  },
  {
    name: "'<is>True' without a space is a literal",
    value: true,
    requirement: '<is>True',
    expected: 'no-match',
  },
  {
    name: "'<IS> True' is a literal (operators are case-sensitive)",
    value: true,
    requirement: '<IS> True',
    expected: 'no-match',
  },
  { name: 'empty requirement matches the empty string', value: '', requirement: '', expected: 'match' },
  {
    name: 'blank requirement matches only the same blanks',
    value: '',
    requirement: '  ',
    expected: 'no-match',
  },
]);

runTable('whitespace', [
  { name: 'tabs and newlines separate words', value: 6, requirement: '\t= 5\n', expected: 'match' },
  {
    name: 'no-break space separates words as in Python',
    value: true,
    requirement: '\u00a0<is>\u00a0True',
    expected: 'match',
  },
  {
    name: 'U+001C separates words as in Python',
    value: true,
    requirement: '\u001c<is>\u001cTrue',
    expected: 'match',
  },
  {
    name: 'U+FEFF is not whitespace in Python',
    value: true,
    requirement: '\ufeff<is> True',
    expected: 'no-match',
  },
]);

runTable("'=' (at least)", [
  { name: "'= 10' accepts 10", value: 10, requirement: '= 10', expected: 'match' },
  { name: "'= 10' accepts 10.5 (means >=)", value: 10.5, requirement: '= 10', expected: 'match' },
  { name: "'= 10' refuses 9.99", value: 9.99, requirement: '= 10', expected: 'no-match' },
  { name: "'= 10' converts the text '10'", value: '10', requirement: '= 10', expected: 'match' },
  { name: "'= 10' strips ' 10 ' as float() does", value: ' 10 ', requirement: '= 10', expected: 'match' },
  {
    name: "'= 10' refuses text that is not a number",
    value: 'abc',
    requirement: '= 10',
    expected: 'no-match',
  },
  { name: "'= 1' reads boolean true as 1", value: true, requirement: '= 1', expected: 'match' },
  {
    name: "'= abc' refuses (operand is not a number)",
    value: 10,
    requirement: '= abc',
    expected: 'no-match',
  },
  { name: "'= 1' on a list raises in Cinder", value: ['1'], requirement: '= 1', expected: 'cinder-raises' },
  { name: "'=' with no operand never matches", value: 10, requirement: '=', expected: 'no-match' },
]);

runTable('numeric', [
  { name: "'== 10' accepts '10.0'", value: '10.0', requirement: '== 10', expected: 'match' },
  { name: "'== 1e1' accepts 10", value: 10, requirement: '== 1e1', expected: 'match' },
  { name: "'== 1_0' reads underscores as Python does", value: 10, requirement: '== 1_0', expected: 'match' },
  { name: "'== 10' refuses 11", value: 11, requirement: '== 10', expected: 'no-match' },
  { name: "'!= 10' accepts 11", value: 11, requirement: '!= 10', expected: 'match' },
  {
    name: "'!= abc' refuses: a ValueError is no match even for !=",
    value: 10,
    requirement: '!= abc',
    expected: 'no-match',
  },
  { name: "'!= 10' refuses the text 'abc'", value: 'abc', requirement: '!= 10', expected: 'no-match' },
  { name: "'== nan' never matches nan", value: 'nan', requirement: '== nan', expected: 'no-match' },
  { name: "'!= nan' matches nan", value: 'NaN', requirement: '!= nan', expected: 'match' },
  { name: "'>= 10' accepts 'inf'", value: 'inf', requirement: '>= 10', expected: 'match' },
  { name: "'>= 10 20' reads only 10", value: 15, requirement: '>= 10 20', expected: 'match' },
  { name: "'<= 10' accepts -3", value: -3, requirement: '<= 10', expected: 'match' },
  { name: "'<= 10' refuses 10.5", value: 10.5, requirement: '<= 10', expected: 'no-match' },
  {
    name: "'<= 10' on a dict raises in Cinder",
    value: { a: 1 },
    requirement: '<= 10',
    expected: 'cinder-raises',
  },
  { name: 'an operator against null never matches', value: null, requirement: '>= 10', expected: 'no-match' },
]);

runTable('string', [
  { name: "'s== sync' accepts 'sync'", value: 'sync', requirement: 's== sync', expected: 'match' },
  {
    name: "'s== True' refuses boolean true (no conversion)",
    value: true,
    requirement: 's== True',
    expected: 'no-match',
  },
  {
    name: "'s!= True' accepts boolean true (never equal)",
    value: true,
    requirement: 's!= True',
    expected: 'match',
  },
  { name: "'s!= sync' refuses 'sync'", value: 'sync', requirement: 's!= sync', expected: 'no-match' },
  {
    name: "'s== Pure Storage' compares with 'Pure' only",
    value: 'Pure Storage',
    requirement: 's== Pure Storage',
    expected: 'no-match',
  },
  {
    name: "'s== Pure Storage' therefore accepts 'Pure'",
    value: 'Pure',
    requirement: 's== Pure Storage',
    expected: 'match',
  },
  { name: "'s< b' accepts 'a'", value: 'a', requirement: 's< b', expected: 'match' },
  { name: "'s< b' accepts 'B' (upper case sorts first)", value: 'B', requirement: 's< b', expected: 'match' },
  { name: "'s<= b' accepts 'b'", value: 'b', requirement: 's<= b', expected: 'match' },
  { name: "'s> b' refuses 'b'", value: 'b', requirement: 's> b', expected: 'no-match' },
  { name: "'s>= b' accepts 'ba'", value: 'ba', requirement: 's>= b', expected: 'match' },
  {
    name: "'s> \\ue000' accepts an emoji (code point order)",
    value: '\u{1f600}',
    requirement: 's> \ue000',
    expected: 'match',
  },
  { name: "'s< b' on a number raises in Cinder", value: 5, requirement: 's< b', expected: 'cinder-raises' },
  {
    name: "'s>= b' on a boolean raises in Cinder",
    value: false,
    requirement: 's>= b',
    expected: 'cinder-raises',
  },
]);

runTable('<in>', [
  { name: "'<in> sync' accepts 'sync'", value: 'sync', requirement: '<in> sync', expected: 'match' },
  {
    name: "'<in> sync' accepts 'async' too (substring)",
    value: 'async',
    requirement: '<in> sync',
    expected: 'match',
  },
  {
    name: "'<in> sync' accepts 'trisync' (substring)",
    value: 'trisync',
    requirement: '<in> sync',
    expected: 'match',
  },
  {
    name: "'<in> sync' refuses 'SYNC' (case-sensitive)",
    value: 'SYNC',
    requirement: '<in> sync',
    expected: 'no-match',
  },
  { name: "'<in> async' refuses 'sync'", value: 'sync', requirement: '<in> async', expected: 'no-match' },
  {
    name: "'<in> sync' on a list tests membership",
    value: ['async', 'sync'],
    requirement: '<in> sync',
    expected: 'match',
  },
  {
    name: "'<in> syn' on a list is not a substring test",
    value: ['sync'],
    requirement: '<in> syn',
    expected: 'no-match',
  },
  { name: "'<in> a' on a dict tests its keys", value: { a: 1 }, requirement: '<in> a', expected: 'match' },
  {
    name: "'<in> sync extra' reads only 'sync'",
    value: 'sync',
    requirement: '<in> sync extra',
    expected: 'match',
  },
  {
    name: "'<in> True' on a boolean raises in Cinder",
    value: true,
    requirement: '<in> True',
    expected: 'cinder-raises',
  },
  {
    name: "'<in> 1' on a number raises in Cinder",
    value: 1,
    requirement: '<in> 1',
    expected: 'cinder-raises',
  },
  { name: "'<in>' with no operand never matches", value: 'sync', requirement: '<in>', expected: 'no-match' },
]);

runTable('<is>', [
  { name: "'<is> True' accepts boolean true", value: true, requirement: '<is> True', expected: 'match' },
  { name: "'<is> True' refuses boolean false", value: false, requirement: '<is> True', expected: 'no-match' },
  { name: "'<is> True' accepts 'True'", value: 'True', requirement: '<is> True', expected: 'match' },
  { name: "'<is> True' accepts 'true'", value: 'true', requirement: '<is> True', expected: 'match' },
  { name: "'<is> True' refuses 'False'", value: 'False', requirement: '<is> True', expected: 'no-match' },
  {
    name: "'<is> True' accepts ' yes ' (stripped)",
    value: ' yes ',
    requirement: '<is> True',
    expected: 'match',
  },
  { name: "'<is> True' accepts the number 1", value: 1, requirement: '<is> True', expected: 'match' },
  { name: "'<is> True' refuses the number 2", value: 2, requirement: '<is> True', expected: 'no-match' },
  {
    name: "'<is> True' refuses 'nonsense'",
    value: 'nonsense',
    requirement: '<is> True',
    expected: 'no-match',
  },
  { name: "'<is> true' is case-insensitive", value: true, requirement: '<is> true', expected: 'match' },
  { name: "'<is> False' accepts boolean false", value: false, requirement: '<is> False', expected: 'match' },
  { name: "'<is> False' accepts 'False'", value: 'False', requirement: '<is> False', expected: 'match' },
  {
    name: "'<is> False' accepts 'nonsense' (unknown words are false)",
    value: 'nonsense',
    requirement: '<is> False',
    expected: 'match',
  },
  { name: "'<is> False' accepts ''", value: '', requirement: '<is> False', expected: 'match' },
  { name: "'<is> False' accepts a list", value: ['True'], requirement: '<is> False', expected: 'match' },
  {
    name: "'<is> Nonsense' accepts boolean false",
    value: false,
    requirement: '<is> Nonsense',
    expected: 'match',
  },
  {
    name: "'<is> False' refuses null (operator on None)",
    value: null,
    requirement: '<is> False',
    expected: 'no-match',
  },
  { name: "'<is>' with no operand never matches", value: true, requirement: '<is>', expected: 'no-match' },
]);

runTable('<or>', [
  {
    name: "'<or> thin <or> thick' accepts 'thick'",
    value: 'thick',
    requirement: '<or> thin <or> thick',
    expected: 'match',
  },
  {
    name: "'<or> thin <or> thick' refuses 'other'",
    value: 'other',
    requirement: '<or> thin <or> thick',
    expected: 'no-match',
  },
  {
    name: "'<or> True <or> False' refuses boolean true (strings only)",
    value: true,
    requirement: '<or> True <or> False',
    expected: 'no-match',
  },
  { name: "'<or> a' accepts 'a'", value: 'a', requirement: '<or> a', expected: 'match' },
  {
    name: "'<or> a b c' never accepts 'b' (every second word dropped)",
    value: 'b',
    requirement: '<or> a b c',
    expected: 'no-match',
  },
  { name: "'<or> a b c' accepts 'c'", value: 'c', requirement: '<or> a b c', expected: 'match' },
  { name: "bare '<or>' raises in Cinder", value: 'a', requirement: '<or>', expected: 'cinder-raises' },
  { name: "'<or> a' refuses null", value: null, requirement: '<or> a', expected: 'no-match' },
]);

test('extra spec operators: exactly the fourteen Cinder reads', () => {
  assert.deepEqual(
    [...EXTRA_SPEC_OPERATORS].sort(),
    ['!=', '<=', '<in>', '<is>', '<or>', '=', '==', '>=', 's!=', 's<', 's<=', 's==', 's>', 's>='].sort(),
  );
});
