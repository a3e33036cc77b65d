// Cinder's extra-spec grammar (cinder/scheduler/filters/extra_specs_ops.py `match(value, req)`):
// how one volume-type extra spec such as '<is> True' or '>= 10' is held against one capability a
// backend reports. Operators, operand choice and error handling follow Cinder as written,
// including its surprises, because a volume type that lands on a pool in real Cinder must land on
// the same pool here. Each surprise is marked QUIRK with whether we keep it.

import { boolFromString, compareByCodePoint, pythonFloat, splitWords } from './python-semantics.js';

/**
 * The outcome of one comparison. `cinder-raises` means Cinder's `match` would throw (TypeError,
 * IndexError) instead of answering; the scheduler request then fails outright. We never throw on
 * data a driver or an admin supplied: callers treat it as no match and can say why.
 */
export type SpecOutcome = 'match' | 'no-match' | 'cinder-raises';

type NumericTest = (capability: number, wanted: number) => boolean;

const NUMERIC_OPERATORS: Readonly<Record<string, NumericTest>> = {
  // QUIRK (kept): '=' is "at least", not equality; volume types rely on '= 10' meaning >= 10.
  '=': (capability, wanted) => capability >= wanted,
  '==': (capability, wanted) => capability === wanted,
  '!=': (capability, wanted) => capability !== wanted,
  '>=': (capability, wanted) => capability >= wanted,
  '<=': (capability, wanted) => capability <= wanted,
};

type OrderTest = (comparison: number) => boolean;

const STRING_ORDER_OPERATORS: Readonly<Record<string, OrderTest>> = {
  's<': (comparison) => comparison < 0,
  's<=': (comparison) => comparison <= 0,
  's>': (comparison) => comparison > 0,
  's>=': (comparison) => comparison >= 0,
};

// QUIRK (kept): there are no '<', '>' or '<all-in>' operators in Cinder ('<all-in>' is Nova's).
// A requirement starting with one of them falls through to plain equality with the whole text.
const OTHER_OPERATORS: ReadonlySet<string> = new Set(['<in>', '<is>', '<or>', 's==', 's!=']);

/** Every first word that Cinder reads as an operator. */
export const EXTRA_SPEC_OPERATORS: readonly string[] = [
  ...Object.keys(NUMERIC_OPERATORS),
  ...Object.keys(STRING_ORDER_OPERATORS),
  ...OTHER_OPERATORS,
];

function isOperator(word: string): boolean {
  return (
    Object.hasOwn(NUMERIC_OPERATORS, word) ||
    Object.hasOwn(STRING_ORDER_OPERATORS, word) ||
    OTHER_OPERATORS.has(word)
  );
}

/** True when `requirement` accepts `capabilityValue`; see `evaluateExtraSpec` for the detail. */
export function matchExtraSpec(capabilityValue: unknown, requirement: string | null): boolean {
  return evaluateExtraSpec(capabilityValue, requirement) === 'match';
}

/**
 * Holds one capability value (JSON-shaped: string, number, boolean, null, list, object) against one
 * extra-spec requirement. `undefined` is read as Python's None.
 */
export function evaluateExtraSpec(capabilityValue: unknown, requirement: string | null): SpecOutcome {
  const value = capabilityValue === undefined ? null : capabilityValue;
  if (requirement === null) return value === null ? 'match' : 'no-match';
  // QUIRK (kept): words are cut on runs of Python whitespace, so '<is>True' (no space) is not an
  // operator, and the operator is case-sensitive: '<IS> True' is not one either.
  const words = splitWords(requirement);
  const operator = words[0];
  if (operator === undefined || !isOperator(operator)) {
    // QUIRK (kept): without an operator the whole requirement, untrimmed, must equal the value,
    // type included: ' sync' does not match 'sync', '1' does not match 1, 'True' does not match true.
    return value === requirement ? 'match' : 'no-match';
  }
  if (value === null) return 'no-match';
  if (operator === '<or>') return matchAlternatives(value, words.slice(1));
  // QUIRK (kept): only the first word after the operator is read; '>= 10 20' is '>= 10' and
  // 's== Pure Storage' compares with 'Pure'. An operator with no operand never matches.
  const operand = words[1];
  if (operand === undefined) return 'no-match';
  return applyOperator(operator, value, operand);
}

/**
 * '<or> a <or> b <or> c': the value must equal (as a string) one of the alternatives.
 */
function matchAlternatives(value: unknown, rest: readonly string[]): SpecOutcome {
  // QUIRK (diverges): a bare '<or>' makes Cinder pop from an empty list (IndexError).
  if (rest.length === 0) return 'cinder-raises';
  // QUIRK (kept): Cinder takes every second word as an alternative and discards the word between
  // without checking that it is '<or>': '<or> a b c' accepts 'a' and 'c', never 'b'.
  // QUIRK (kept): alternatives are strings, so a boolean true never matches '<or> True <or> False'.
  for (let index = 0; index < rest.length; index += 2) {
    if (rest[index] === value) return 'match';
  }
  return 'no-match';
}

function applyOperator(operator: string, value: unknown, operand: string): SpecOutcome {
  const numeric = NUMERIC_OPERATORS[operator];
  if (numeric !== undefined) return compareNumbers(numeric, value, operand);
  const order = STRING_ORDER_OPERATORS[operator];
  if (order !== undefined) {
    // QUIRK (diverges): Python 3 refuses to order a str against a bool, number or list (TypeError).
    if (typeof value !== 'string') return 'cinder-raises';
    return outcome(order(compareByCodePoint(value, operand)));
  }
  switch (operator) {
    // QUIRK (kept): 's==' and 's!=' compare without conversion, so a non-string value is never
    // equal: 's== True' fails against boolean true, and 's!= anything' passes against it.
    case 's==':
      return outcome(typeof value === 'string' && value === operand);
    case 's!=':
      return outcome(!(typeof value === 'string' && value === operand));
    case '<is>':
      // QUIRK (kept): both sides go through bool_from_string, where every unknown word is False,
      // so '<is> False' matches 'nonsense', '' and 0, and '<is> Nonsense' matches false.
      return outcome(boolFromString(value) === boolFromString(operand));
    case '<in>':
      return contains(value, operand);
    default:
      throw new Error(`extra-spec operator ${operator} is listed but has no implementation`);
  }
}

function compareNumbers(test: NumericTest, value: unknown, operand: string): SpecOutcome {
  // Python converts the capability first, so a list value raises before a bad operand is seen.
  const capability = pythonFloat(value);
  // QUIRK (diverges): float() of a list, dict or None is a TypeError that Cinder does not catch.
  if (capability === 'type-error') return 'cinder-raises';
  // QUIRK (kept): a ValueError (text that is not a number on either side) is caught: no match.
  if (capability === 'value-error') return 'no-match';
  const wanted = pythonFloat(operand);
  if (typeof wanted !== 'number') return 'no-match';
  // NaN compares false except under '!=', as in Python.
  return outcome(test(capability, wanted));
}

/**
 * Python's `operand in value`.
 */
function contains(value: unknown, operand: string): SpecOutcome {
  // QUIRK (kept): on a string this is a substring test, so '<in> sync' matches 'async', and
  // '<in> a' matches 'trisync'. Cinder's CapabilitiesFilter walks list capabilities one element
  // at a time, so Pure's replication_type ['async'] satisfies '<in> sync' too.
  if (typeof value === 'string') return outcome(value.includes(operand));
  // A list (reached only by calling match directly or through a list nested in a list) tests
  // membership; elements must be equal strings.
  if (Array.isArray(value)) return outcome(value.some((element) => element === operand));
  // A dict tests its keys.
  if (typeof value === 'object' && value !== null) return outcome(Object.hasOwn(value, operand));
  // QUIRK (diverges): 'x in True' or 'x in 5' is a TypeError in Cinder.
  return 'cinder-raises';
}

function outcome(matched: boolean): SpecOutcome {
  return matched ? 'match' : 'no-match';
}
