// Purity REST 2.x `filter=` expressions (spec §2.3): a small recursive-descent parser that turns
// untrusted text into an AST or a reason, and a pure evaluator over plain JSON-like records.
//
// Semantics chosen where Purity's own behaviour is not documented (route authors rely on these):
// - String comparisons are case-sensitive (except contains(), which Purity documents as a
//   case-insensitive substring test). Ordering compares code points, not locale order.
// - `*` inside a quoted value is a wildcard for any run of characters in `=` / `!=`; `\*` is a
//   literal star. Matching is linear-ish (no regex), so a hostile pattern cannot backtrack.
// - A number field against a numeric string (`progress="1.0"`), or a numeric string field against
//   a bare number, compare numerically; a bare number never matches a non-numeric string.
// - A missing field, or one reached through a non-object, reads as null: `x=null` matches it.
// - A list met on the path without `[any]`/`[all]` means "any element" (membership), and
//   `list!='x'` means "'x' is not a member". With `[all]`, an empty list satisfies any test.
// - A bare field is true when it is present and not null, false or '' (0 counts as present).

/** Longer filters are refused: real clients send well under 1 KiB, and this bounds parse work. */
export const FILTER_TEXT_MAX_CHARS = 4096;
/** Deepest nesting of `(` and `not`: keeps parser and evaluator recursion far below the stack limit. */
export const FILTER_NESTING_MAX = 64;

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=';
export type Quantifier = 'any' | 'all' | null;
export interface PathSegment {
  name: string;
  quantifier: Quantifier;
}
export type Literal =
  | { kind: 'string'; text: string; globParts: readonly string[] | null }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };
export type FieldPath = readonly PathSegment[];
/** `values` has several entries only for an in-list `f=('a','b')`, which matches any of them. */
export type Filter =
  | { kind: 'or'; operands: readonly Filter[] }
  | { kind: 'and'; operands: readonly Filter[] }
  | { kind: 'not'; operand: Filter }
  | { kind: 'truthy'; path: FieldPath }
  | { kind: 'compare'; path: FieldPath; op: CompareOp; values: readonly Literal[] }
  | { kind: 'contains'; path: FieldPath; value: Literal };

export type FilterParse = { ok: true; filter: Filter } | { ok: false; reason: string };

type Token =
  | { t: '(' | ')' | ',' | 'end'; pos: number }
  | { t: 'op'; op: CompareOp; pos: number }
  | { t: 'literal'; literal: Literal; pos: number }
  | { t: 'word'; path: PathSegment[]; keyword: string | null; pos: number };

class FilterSyntaxError extends Error {}

function syntaxError(what: string, pos: number): FilterSyntaxError {
  return new FilterSyntaxError(`${what} at position ${pos}`);
}

const KEYWORDS = new Set(['and', 'or', 'not', 'contains', 'true', 'false', 'null']);
const OPERATORS: readonly CompareOp[] = ['!=', '>=', '<=', '=', '>', '<'];
const SEGMENT_RE = /([A-Za-z_][A-Za-z0-9_]*)(?:\[(any|all)\])?/iy;
const NUMBER_RE = /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WORD_CHAR_RE = /[A-Za-z0-9_]/;
const NUMERIC_TEXT_RE = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** Splits `text` into tokens; positions are 0-based character offsets into the filter text. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      pos++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ t: ch, pos });
      pos++;
    } else if (ch === "'" || ch === '"') {
      pos = lexQuoted(text, pos, tokens);
    } else if (/[0-9-]/.test(ch)) {
      pos = lexNumber(text, pos, tokens);
    } else if (/[A-Za-z_]/.test(ch)) {
      pos = lexWord(text, pos, tokens);
    } else {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, pos));
      if (op === undefined) throw syntaxError(`unexpected character '${ch}'`, pos);
      tokens.push({ t: 'op', op, pos });
      pos += op.length;
    }
  }
  tokens.push({ t: 'end', pos: text.length });
  return tokens;
}

/** A quote inside is either doubled or backslash-escaped; an unescaped `*` splits glob parts. */
function lexQuoted(text: string, start: number, tokens: Token[]): number {
  const quote = text[start]!;
  const parts: string[] = [];
  let current = '';
  let pos = start + 1;
  for (;;) {
    if (pos >= text.length) throw syntaxError('unterminated string starting', start);
    const ch = text[pos]!;
    if (ch === '\\' && pos + 1 < text.length) {
      current += text[pos + 1]!;
      pos += 2;
    } else if (ch === quote && text[pos + 1] === quote) {
      current += quote;
      pos += 2;
    } else if (ch === quote) {
      break;
    } else if (ch === '*') {
      parts.push(current);
      current = '';
      pos++;
    } else {
      current += ch;
      pos++;
    }
  }
  parts.push(current);
  const globParts = parts.length > 1 ? parts : null;
  tokens.push({ t: 'literal', literal: { kind: 'string', text: parts.join('*'), globParts }, pos: start });
  return pos + 1;
}

function lexNumber(text: string, start: number, tokens: Token[]): number {
  NUMBER_RE.lastIndex = start;
  const match = NUMBER_RE.exec(text);
  if (match === null) throw syntaxError(`unexpected character '${text[start]}'`, start);
  const end = start + match[0].length;
  if (end < text.length && WORD_CHAR_RE.test(text[end]!)) throw syntaxError('malformed number', start);
  const literal: Literal = { kind: 'number', value: Number(match[0]), text: match[0] };
  tokens.push({ t: 'literal', literal, pos: start });
  return end;
}

/** Reads `a.b[any].c`: identifiers joined by dots, each optionally quantified. */
function lexWord(text: string, start: number, tokens: Token[]): number {
  const path: PathSegment[] = [];
  let pos = start;
  for (;;) {
    SEGMENT_RE.lastIndex = pos;
    const match = SEGMENT_RE.exec(text);
    if (match === null) throw syntaxError('expected a field name', pos);
    const quantifier = match[2] === undefined ? null : (match[2].toLowerCase() as 'any' | 'all');
    path.push({ name: match[1]!, quantifier });
    pos += match[0].length;
    if (text[pos] !== '.') break;
    pos++;
  }
  if (text[pos] === '[') throw syntaxError("expected '[any]' or '[all]'", pos);
  const first = path[0]!;
  const lower = first.name.toLowerCase();
  const keyword = path.length === 1 && first.quantifier === null && KEYWORDS.has(lower) ? lower : null;
  tokens.push({ t: 'word', path, keyword, pos: start });
  return pos;
}

function describe(token: Token): string {
  if (token.t === 'end') return 'unexpected end of filter';
  if (token.t === 'literal') return 'unexpected value';
  const shown =
    token.t === 'op' ? token.op : token.t === 'word' ? token.path.map((s) => s.name).join('.') : token.t;
  return `unexpected '${shown}'`;
}

class Parser {
  private index = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    // tokenize() always ends with an 'end' token and next() never steps past it.
    return this.tokens[this.index]!;
  }
  private next(): Token {
    const token = this.peek();
    if (token.t !== 'end') this.index++;
    return token;
  }
  private isKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.t === 'word' && token.keyword === keyword;
  }
  private expect(t: '(' | ')' | ','): void {
    const token = this.next();
    if (token.t !== t) throw syntaxError(`expected '${t}', ${describe(token)}`, token.pos);
  }

  parseAll(): Filter {
    const filter = this.parseOr(0);
    const token = this.peek();
    if (token.t !== 'end') throw syntaxError(describe(token), token.pos);
    return filter;
  }

  private parseOr(depth: number): Filter {
    const operands = [this.parseAnd(depth)];
    while (this.isKeyword('or')) {
      this.next();
      operands.push(this.parseAnd(depth));
    }
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  private parseAnd(depth: number): Filter {
    const operands = [this.parseUnary(depth)];
    while (this.isKeyword('and')) {
      this.next();
      operands.push(this.parseUnary(depth));
    }
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  }

  private parseUnary(depth: number): Filter {
    if (!this.isKeyword('not')) return this.parsePrimary(depth);
    const token = this.next();
    if (depth >= FILTER_NESTING_MAX) throw syntaxError('nesting too deep', token.pos);
    return { kind: 'not', operand: this.parseUnary(depth + 1) };
  }

  private parsePrimary(depth: number): Filter {
    const token = this.next();
    if (token.t === '(') {
      if (depth >= FILTER_NESTING_MAX) throw syntaxError('nesting too deep', token.pos);
      const inner = this.parseOr(depth + 1);
      this.expect(')');
      return inner;
    }
    if (token.t !== 'word' || (token.keyword !== null && token.keyword !== 'contains')) {
      throw syntaxError(`expected a field, 'not' or '(', ${describe(token)}`, token.pos);
    }
    if (token.keyword === 'contains' && this.peek().t === '(') return this.parseContains();
    const op = this.peek();
    if (op.t !== 'op') return { kind: 'truthy', path: token.path };
    this.next();
    const inList = this.peek().t === '(';
    if (inList && op.op !== '=' && op.op !== '!=') {
      throw syntaxError(`a value list needs '=' or '!=', not '${op.op}'`, op.pos);
    }
    const values = inList ? this.parseValueList() : [this.parseLiteral()];
    return { kind: 'compare', path: token.path, op: op.op, values };
  }

  private parseValueList(): Literal[] {
    this.expect('(');
    const values = [this.parseLiteral()];
    while (this.peek().t === ',') {
      this.next();
      values.push(this.parseLiteral());
    }
    this.expect(')');
    return values;
  }

  private parseContains(): Filter {
    this.expect('(');
    const field = this.next();
    if (field.t !== 'word' || field.keyword !== null) {
      throw syntaxError(`expected a field, ${describe(field)}`, field.pos);
    }
    this.expect(',');
    const value = this.parseLiteral();
    if (value.kind !== 'string' && value.kind !== 'number') {
      throw syntaxError('contains() needs a string', this.peek().pos);
    }
    this.expect(')');
    return { kind: 'contains', path: field.path, value };
  }

  private parseLiteral(): Literal {
    const token = this.next();
    if (token.t === 'literal') return token.literal;
    if (token.t === 'word' && token.keyword === 'true') return { kind: 'boolean', value: true };
    if (token.t === 'word' && token.keyword === 'false') return { kind: 'boolean', value: false };
    if (token.t === 'word' && token.keyword === 'null') return { kind: 'null' };
    const hint = token.t === 'word' ? ' (quote string values)' : '';
    throw syntaxError(`expected a value${hint}, ${describe(token)}`, token.pos);
  }
}

/** Parses untrusted filter text; never throws. Reasons name a 0-based character position. */
export function parseFilter(text: string): FilterParse {
  if (text.length > FILTER_TEXT_MAX_CHARS) {
    return { ok: false, reason: `filter is longer than ${FILTER_TEXT_MAX_CHARS} characters` };
  }
  try {
    return { ok: true, filter: new Parser(tokenize(text)).parseAll() };
  } catch (error) {
    if (error instanceof FilterSyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Evaluates a parsed filter against one item (the item's REST JSON shape). */
export function matchesFilter(filter: Filter, item: Record<string, unknown>): boolean {
  switch (filter.kind) {
    case 'or':
      return filter.operands.some((operand) => matchesFilter(operand, item));
    case 'and':
      return filter.operands.every((operand) => matchesFilter(operand, item));
    case 'not':
      return !matchesFilter(filter.operand, item);
    case 'truthy':
      return testPath(item, filter.path, 0, isTruthy);
    case 'contains': {
      const needle = literalText(filter.value).toLowerCase();
      return testPath(item, filter.path, 0, (v) => typeof v === 'string' && v.toLowerCase().includes(needle));
    }
    case 'compare':
      return matchesComparison(filter, item);
  }
}

function matchesComparison(
  filter: Extract<Filter, { kind: 'compare' }>,
  item: Record<string, unknown>,
): boolean {
  const { op, values, path } = filter;
  if (op === '=' || op === '!=') {
    const equalsAny = (v: unknown) => values.some((literal) => leafEquals(v, literal));
    if (op === '=') return testPath(item, path, 0, equalsAny);
    // Without explicit quantifiers `!=` is "not a member"; with them it applies per element.
    const quantified = path.some((segment) => segment.quantifier !== null);
    return quantified ? testPath(item, path, 0, (v) => !equalsAny(v)) : !testPath(item, path, 0, equalsAny);
  }
  const literal = values[0]!;
  return testPath(item, path, 0, (v) => {
    const order = compareLeaf(v, literal);
    if (order === null) return false;
    if (op === '>') return order > 0;
    if (op === '>=') return order >= 0;
    if (op === '<') return order < 0;
    return order <= 0;
  });
}

/** Walks the path, fanning out over lists (any unless `[all]`), and applies `test` at the leaves. */
function testPath(node: unknown, path: FieldPath, index: number, test: (v: unknown) => boolean): boolean {
  const segment = path[index];
  if (segment === undefined) return test(node);
  const child = childOf(node, segment.name);
  if (!Array.isArray(child)) return testPath(child, path, index + 1, test);
  if (segment.quantifier === 'all') return child.every((element) => testPath(element, path, index + 1, test));
  return child.some((element) => testPath(element, path, index + 1, test));
}

/** Own properties only, so `constructor` or `__proto__` in a filter never reach the prototype. */
export function childOf(node: unknown, name: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  return Object.hasOwn(node, name) ? (node as Record<string, unknown>)[name] : undefined;
}

function isTruthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '';
}

function literalText(literal: Literal): string {
  if (literal.kind === 'string' || literal.kind === 'number') return literal.text;
  return literal.kind === 'boolean' ? String(literal.value) : 'null';
}

function leafEquals(value: unknown, literal: Literal): boolean {
  if (literal.kind === 'string' && literal.globParts !== null && typeof value === 'string') {
    return globMatches(literal.globParts, value);
  }
  return compareLeaf(value, literal) === 0;
}

/** Orders an item value against a literal; null means the two are not comparable. */
function compareLeaf(value: unknown, literal: Literal): number | null {
  if (value === undefined || value === null) return literal.kind === 'null' ? 0 : null;
  if (typeof value === 'boolean') {
    const other = literalBoolean(literal);
    return other === null ? null : Number(value) - Number(other);
  }
  if (typeof value === 'string' && literal.kind === 'string') return compareCodePoints(value, literal.text);
  // Numbers meet numeric text on either side: `progress="1.0"` against 1, `serial=123` against '123'.
  const left = asNumber(value);
  const right =
    literal.kind === 'number' ? literal.value : literal.kind === 'string' ? asNumber(literal.text) : null;
  return left === null || right === null ? null : Math.sign(left - right);
}

function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && NUMERIC_TEXT_RE.test(value) ? Number(value) : null;
}

/** `is_local='true'` is accepted as well as the bare `true` the SDK sends. */
function literalBoolean(literal: Literal): boolean | null {
  if (literal.kind === 'boolean') return literal.value;
  const isBoolText = literal.kind === 'string' && (literal.text === 'true' || literal.text === 'false');
  return isBoolText ? literal.text === 'true' : null;
}

/** `*`-glob with parts split at the stars: prefix, suffix, then leftmost search for the middles. */
function globMatches(parts: readonly string[], text: string): boolean {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const fits = text.length >= first.length + last.length && text.startsWith(first) && text.endsWith(last);
  if (!fits) return false;
  const end = text.length - last.length;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const found = text.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/**
 * Code-point order. JS `<` compares UTF-16 units, which misorders astral characters against
 * U+E000..U+FFFF; shifting the first differing unit fixes that without decoding the strings.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const unitA = a.charCodeAt(i);
    const unitB = b.charCodeAt(i);
    if (unitA !== unitB) return codePointRank(unitA) < codePointRank(unitB) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
