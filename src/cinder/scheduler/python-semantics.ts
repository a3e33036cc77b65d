// Cinder's scheduler is Python, and its answers depend on Python's built-ins: how `str.split()` cuts
// words, what `float()` accepts, how `round()` breaks ties, how `<` orders strings, what is truthy.
// JavaScript's nearest equivalents differ at the edges (`Number('')` is 0, `/\s/` is another
// whitespace set, `Math.round` rounds ties up), so the few we need are written out here once.

/**
 * Python's `str.isspace()` set: Unicode space separators plus the bidi whitespace/segment/paragraph
 * separators. Unlike JavaScript's `\s` it has U+001C..U+001F and U+0085 and lacks U+FEFF.
 */
const PYTHON_WHITESPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'u');
const EDGE_WHITESPACE = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, 'gu');

/** `text.split()` with no separator: runs of whitespace cut, no empty words, edges ignored. */
export function splitWords(text: string): string[] {
  return text.split(WHITESPACE_RUN).filter((word) => word.length > 0);
}

/** `text.strip()` with no argument. */
export function stripWhitespace(text: string): string {
  return text.replace(EDGE_WHITESPACE, '');
}

/**
 * What `float(text)` accepts: decimal literals with optional sign, exponent and single underscores
 * between digits, plus inf/infinity/nan in any case. Python also takes non-ASCII decimal digits;
 * drivers and volume types never use them, so `\d` (ASCII) is enough here.
 */
const FLOAT_LITERAL = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** Why `float(value)` would not give a number: `ValueError` (text that is not a number) or `TypeError`. */
export type FloatFailure = 'value-error' | 'type-error';

/**
 * Python's `float(value)` over the JSON-shaped values a capability or an extra spec can hold.
 * Booleans convert because Python's bool is an int; null, lists and dicts are a TypeError.
 */
export function pythonFloat(value: unknown): number | FloatFailure {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return 'type-error';
  const text = stripWhitespace(value);
  const special = FLOAT_SPECIAL.exec(text);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (!FLOAT_LITERAL.test(text)) return 'value-error';
  return Number(text.replaceAll('_', ''));
}

/** oslo.utils' true spellings; anything else (including its false spellings) reads as false. */
const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

/**
 * oslo.utils `bool_from_string(value)` in its lenient default mode: booleans pass through, anything
 * else is turned into its Python `str()` and compared, stripped and lower-cased, to the true words.
 * Unknown words are false, so `bool_from_string('Nonsense')` is False.
 */
export function boolFromString(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return TRUE_WORDS.has(stripWhitespace(value).toLowerCase());
  // str() of an int 1 is '1'. A JSON number cannot say whether Python saw 1 or 1.0 ('1.0' is not
  // a true word); we read it as the int, which is how drivers report flags as numbers.
  if (typeof value === 'number') return value === 1;
  // None, lists and dicts print as 'None', '[...]', '{...}': never a true word.
  return false;
}

/** Python truthiness, which Cinder's capacity code applies to `thin_provisioning_support`. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * Python string ordering compares code points. JavaScript's `<` compares UTF-16 units, which puts
 * characters above U+FFFF before U+E000..U+FFFF; iterating code points avoids that.
 */
export function compareByCodePoint(a: string, b: string): number {
  if (a === b) return 0;
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const pointX = x.value.codePointAt(0)!;
    const pointY = y.value.codePointAt(0)!;
    if (pointX !== pointY) return pointX < pointY ? -1 : 1;
  }
}

/**
 * Python's `round(x, 2)`. Both it and `toFixed` round the exact binary value, so they differ only
 * on true ties: multiples of 1/8 with an odd numerator (0.125, 0.375, ...), whose third decimal
 * is a 5. Python sends those to the even hundredth; `toFixed` rounds them away from zero.
 */
export function roundToHundredths(x: number): number {
  if (!Number.isFinite(x)) return x;
  const eighths = x * 8;
  const isTie = Number.isInteger(eighths) && eighths % 2 !== 0;
  if (!isTie) return Number(x.toFixed(2));
  // A tie has exactly three decimals, so dropping the last one rounds toward zero.
  const towardZero = x.toFixed(3).slice(0, -1);
  const evenTowardZero = Number(towardZero.at(-1)) % 2 === 0;
  return Number(evenTowardZero ? towardZero : x.toFixed(2));
}
