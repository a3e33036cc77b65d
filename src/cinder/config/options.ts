// Typed option declarations and value conversion as oslo.config does it (oslo_config/types.py), so a
// cinder.conf that works with Cinder reads the same here and one that Cinder rejects is rejected.
// A parser's reason is written to follow the value ("'abc' is not an integer") and never contains
// the value itself, so the reader can hide it for secret options.

/** The result of converting one value as written. `unset`: oslo turns an empty number into None. */
export type Parsed<T> = { kind: 'value'; value: T } | { kind: 'unset' } | { kind: 'invalid'; reason: string };

export type OptionKind =
  | 'string'
  | 'bool'
  | 'int'
  | 'float'
  | 'list'
  | 'dict'
  | 'multi-string'
  | 'multi-dict'
  | 'custom';

/** An option holding one value: the last one written in its section wins. */
export interface SingleOption<T> {
  readonly name: string;
  readonly kind: OptionKind;
  readonly default: T;
  /** Never shown in messages (tokens, passwords, URLs with passwords). */
  readonly secret: boolean;
  readonly multi: false;
  readonly parse: (text: string) => Parsed<T>;
}

/** An option written any number of times (oslo MultiOpt): every value, in file order. */
export interface MultiOption<T> {
  readonly name: string;
  readonly kind: OptionKind;
  readonly secret: boolean;
  readonly multi: true;
  readonly parse: (text: string) => Parsed<T>;
}

export type AnyOption = SingleOption<unknown> | MultiOption<unknown>;

const value = <T>(v: T): Parsed<T> => ({ kind: 'value', value: v });
const invalid = (reason: string): Parsed<never> => ({ kind: 'invalid', reason });

const TRUE_WORDS = ['true', '1', 'on', 'yes'];
const FALSE_WORDS = ['false', '0', 'off', 'no'];

/** oslo `types.Boolean`: the four word pairs, any case; anything else (even empty) is an error. */
export function parseOsloBool(text: string): Parsed<boolean> {
  const word = text.toLowerCase();
  if (TRUE_WORDS.includes(word)) return value(true);
  if (FALSE_WORDS.includes(word)) return value(false);
  return invalid('is not a boolean (use true/false, yes/no, on/off or 1/0)');
}

/** Python's `int(str)`: decimal digits, optional sign, '_' between digits. */
const PY_INT = /^[+-]?\d(?:_?\d)*$/;
const DIGITS = String.raw`\d(?:_?\d)*`;
/** Python's `float(str)`: also '1.', '.5', exponents, inf/infinity/nan. */
const PY_FLOAT = new RegExp(
  String.raw`^[+-]?(?:(?:(?:${DIGITS})(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  'i',
);

interface Bounds {
  min?: number;
  max?: number;
}

function checkBounds(n: number, bounds: Bounds): Parsed<number> {
  if (bounds.min !== undefined && n < bounds.min) return invalid(`is less than the minimum ${bounds.min}`);
  if (bounds.max !== undefined && n > bounds.max) return invalid(`is more than the maximum ${bounds.max}`);
  return value(n);
}

/** oslo `types.Integer`: `int()` of the text; blank means unset; '1.5' and '0x10' are errors. */
export function parseOsloInt(text: string, bounds: Bounds = {}): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'unset' };
  if (!PY_INT.test(trimmed)) return invalid('is not an integer');
  const n = Number(trimmed.replace(/_/g, ''));
  // Python ints are unbounded; beyond 2^53 a JS number would silently change the value.
  if (!Number.isSafeInteger(n)) return invalid(`is too large (at most ${Number.MAX_SAFE_INTEGER} here)`);
  return checkBounds(n, bounds);
}

/** oslo `types.Float`: `float()` of the text; blank means unset. */
export function parseOsloFloat(text: string, bounds: Bounds = {}): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'unset' };
  if (!PY_FLOAT.test(trimmed)) return invalid('is not a number');
  const lower = trimmed.toLowerCase().replace(/_/g, '');
  const unsigned = lower.replace(/^[+-]/, '');
  const sign = lower.startsWith('-') ? -1 : 1;
  if (unsigned === 'nan') return value(Number.NaN);
  if (unsigned === 'inf' || unsigned === 'infinity')
    return checkBounds(sign * Number.POSITIVE_INFINITY, bounds);
  return checkBounds(Number(lower), bounds);
}

/** oslo `types.List` of strings: trailing commas dropped, items stripped, blank means empty list. */
export function parseOsloList(text: string): Parsed<string[]> {
  const trimmed = text.trim().replace(/,+$/, '');
  if (trimmed === '') return value([]);
  return value(trimmed.split(',').map((item) => item.trim()));
}

/**
 * oslo `types.Dict` of strings: `k:v,k:v`, each pair split at its first ':' (so `san_ip:1.2.3.4:9443`
 * keeps the port). As in oslo, a piece without ':' is glued to the next one with its comma.
 */
export function parseOsloDict(text: string): Parsed<ReadonlyMap<string, string>> {
  const result = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed === '') return value(result);
  const pieces = trimmed.split(',');
  while (pieces.length > 0) {
    let pair = pieces.shift()!;
    while (!pair.includes(':')) {
      if (pieces.length === 0) return invalid("is not NAME:VALUE pairs separated by ','");
      pair += ',' + pieces.shift()!;
    }
    const colon = pair.indexOf(':');
    const key = pair.slice(0, colon).trim();
    if (key === '') return invalid('has an empty key name');
    // A key glued from pieces may hold part of a secret value: only plain names are shown.
    if (result.has(key)) return invalid(/^\w+$/.test(key) ? `has the key '${key}' twice` : 'has a key twice');
    result.set(key, pair.slice(colon + 1).trim());
  }
  return value(result);
}

function single<T>(
  name: string,
  kind: OptionKind,
  defaultValue: T,
  parse: (text: string) => Parsed<T>,
  secret = false,
): SingleOption<T> {
  return { name, kind, default: defaultValue, secret, multi: false, parse };
}

export function stringOpt<D extends string | null>(
  name: string,
  defaultValue: D,
  flags: { secret?: boolean } = {},
): SingleOption<string | D> {
  return single<string | D>(name, 'string', defaultValue, (text) => value(text), flags.secret);
}

/** oslo StrOpt with `choices`: exact, case-sensitive match. */
export function choiceOpt<C extends string, D extends C | null>(
  name: string,
  choices: readonly C[],
  defaultValue: D,
): SingleOption<C | D> {
  const isChoice = (text: string): text is C => (choices as readonly string[]).includes(text);
  return single<C | D>(name, 'string', defaultValue, (text) =>
    isChoice(text) ? value(text) : invalid(`is not one of: ${choices.join(', ')}`),
  );
}

export function boolOpt(name: string, defaultValue: boolean): SingleOption<boolean> {
  return single(name, 'bool', defaultValue, parseOsloBool);
}

export function intOpt<D extends number | null>(
  name: string,
  defaultValue: D,
  bounds: Bounds = {},
): SingleOption<number | D> {
  return single<number | D>(name, 'int', defaultValue, (text) => parseOsloInt(text, bounds));
}

/** oslo PortOpt: an integer 0..65535. */
export function portOpt(name: string, defaultValue: number): SingleOption<number> {
  return intOpt(name, defaultValue, { min: 0, max: 65535 });
}

export function floatOpt<D extends number | null>(
  name: string,
  defaultValue: D,
  bounds: Bounds = {},
): SingleOption<number | D> {
  return single<number | D>(name, 'float', defaultValue, (text) => parseOsloFloat(text, bounds));
}

export function listOpt<D extends string[] | null>(
  name: string,
  defaultValue: D,
): SingleOption<string[] | D> {
  return single<string[] | D>(name, 'list', defaultValue, parseOsloList);
}

export function dictOpt(name: string): SingleOption<ReadonlyMap<string, string> | null> {
  return single<ReadonlyMap<string, string> | null>(name, 'dict', null, parseOsloDict);
}

/** An option whose conversion is not one of oslo's plain types (driver paths, URLs, ratios). */
export function customOpt<T>(
  name: string,
  defaultValue: T,
  parse: (text: string) => Parsed<T>,
  flags: { secret?: boolean } = {},
): SingleOption<T> {
  return single(name, 'custom', defaultValue, parse, flags.secret);
}

export function multiStrOpt(name: string): MultiOption<string> {
  return { name, kind: 'multi-string', secret: false, multi: true, parse: (text) => value(text) };
}

export function multiDictOpt(
  name: string,
  flags: { secret?: boolean } = {},
): MultiOption<ReadonlyMap<string, string>> {
  return { name, kind: 'multi-dict', secret: flags.secret ?? false, multi: true, parse: parseOsloDict };
}
