// Reads typed options out of parsed sections the way Cinder looks them up: a backend's options come
// from its own section, and a value that is missing there (or that oslo reads as None, such as an
// empty number) falls back to [backend_defaults] (cinder/volume/configuration.py,
// BackendGroupConfiguration.__getattr__), then to the option's default.

import {
  CinderConfigError,
  type CinderConfigErrorCode,
  type CinderConfigWarning,
  configWarning,
  quoteValue,
} from './errors.js';
import { type IniDocument, type IniValue, normalizeSectionName } from './ini.js';
import type { MultiOption, SingleOption } from './options.js';
import { substituteTemplates } from './substitute.js';

/** A value and where it was written; `line` and `section` are null for a default. */
export interface Located<T> {
  readonly value: T;
  readonly line: number | null;
  readonly section: string | null;
}

/** Collects warnings once each: [backend_defaults] is read again for every backend. */
export class WarningSink {
  readonly warnings: CinderConfigWarning[] = [];
  private readonly seen = new Set<string>();

  add(warning: CinderConfigWarning): void {
    if (this.seen.has(warning.message)) return;
    this.seen.add(warning.message);
    this.warnings.push(warning);
  }
}

export interface ReaderContext {
  readonly doc: IniDocument;
  readonly sink: WarningSink;
  /** Values `$name` resolves to when the file does not set `name` (e.g. state_path). */
  readonly templateDefaults: ReadonlyMap<string, string>;
}

export class OptionReader {
  /** @param chain normalized section names, most specific first */
  constructor(
    private readonly context: ReaderContext,
    private readonly chain: readonly string[],
  ) {}

  /** Section name as written in the file (or as asked for when the file lacks it). */
  sectionName(key: string = this.chain[0]!): string {
    return this.context.doc.sections.get(key)?.name ?? key;
  }

  read<T>(opt: SingleOption<T>): Located<T> {
    for (const key of this.chain) {
      const values = this.context.doc.sections.get(key)?.options.get(opt.name);
      if (values === undefined || values.length === 0) continue;
      const last = values.at(-1)!;
      if (values.length > 1) {
        const lines = values.map((v) => v.line).join(', ');
        this.warn(
          opt.name,
          last.line,
          `set ${values.length} times (lines ${lines}); the last one is used`,
          key,
        );
      }
      const parsed = opt.parse(this.substitute(key, opt.name, last, opt.secret));
      if (parsed.kind === 'invalid') throw this.invalid(opt.name, last, opt.secret, parsed.reason, key);
      if (parsed.kind === 'value') {
        return { value: parsed.value, line: last.line, section: this.sectionName(key) };
      }
    }
    return { value: opt.default, line: null, section: null };
  }

  value<T>(opt: SingleOption<T>): T {
    return this.read(opt).value;
  }

  /** Every value of a multi-valued option, from the first section of the chain that sets any. */
  readAll<T>(opt: MultiOption<T>): Located<T>[] {
    for (const key of this.chain) {
      const values = this.context.doc.sections.get(key)?.options.get(opt.name);
      if (values === undefined || values.length === 0) continue;
      const result: Located<T>[] = [];
      for (const written of values) {
        const parsed = opt.parse(this.substitute(key, opt.name, written, opt.secret));
        if (parsed.kind === 'invalid') throw this.invalid(opt.name, written, opt.secret, parsed.reason, key);
        if (parsed.kind === 'value') {
          result.push({ value: parsed.value, line: written.line, section: this.sectionName(key) });
        }
      }
      return result;
    }
    return [];
  }

  error(
    code: CinderConfigErrorCode,
    option: string | null,
    line: number | null,
    reason: string,
    key?: string,
  ) {
    const where = { fileName: this.context.doc.fileName, line, section: this.sectionName(key), option };
    return new CinderConfigError(code, where, reason);
  }

  warn(option: string | null, line: number | null, reason: string, key?: string): void {
    const where = { fileName: this.context.doc.fileName, line, section: this.sectionName(key), option };
    this.context.sink.add(configWarning(where, reason));
  }

  private invalid(option: string, written: IniValue, secret: boolean, reason: string, key: string) {
    return this.error(
      'CINDER_CONFIG_INVALID_VALUE',
      option,
      written.line,
      `${quoteValue(written.text, secret)} ${reason}`,
      key,
    );
  }

  private substitute(key: string, option: string, written: IniValue, secret: boolean): string {
    const { doc, templateDefaults } = this.context;
    const rawValue = (sectionKey: string, name: string): string | undefined =>
      doc.sections.get(sectionKey)?.options.get(name)?.at(-1)?.text;
    const lookup = (name: string): string | undefined => {
      const dot = name.indexOf('.');
      if (dot >= 0) return rawValue(normalizeSectionName(name.slice(0, dot)), name.slice(dot + 1));
      return rawValue(key, name) ?? rawValue('DEFAULT', name) ?? templateDefaults.get(name);
    };
    const result = substituteTemplates(written.text, lookup);
    if (result.loop) {
      throw this.error('CINDER_CONFIG_INVALID_VALUE', option, written.line, "'$' references loop", key);
    }
    for (const name of result.unknownNames) {
      const what = secret ? "a '$' reference" : `'$${name}'`;
      this.warn(
        option,
        written.line,
        `${what} names no option and is kept as written (write '$$' for '$')`,
        key,
      );
    }
    return result.text;
  }
}

/**
 * Warns about every option in a section that is not in `known` (oslo ignores them silently, which
 * hides typos such as `pure_api_tokn`). Values are never shown: a misspelled option may hold a secret.
 */
export function warnUnknownOptions(
  reader: OptionReader,
  doc: IniDocument,
  key: string,
  known: ReadonlySet<string>,
) {
  const section = doc.sections.get(key);
  if (section === undefined) return;
  const byLowerCase = new Map([...known].map((name) => [name.toLowerCase(), name]));
  for (const [name, values] of section.options) {
    if (known.has(name)) continue;
    const spelled = byLowerCase.get(name.toLowerCase());
    const hint = spelled === undefined ? '' : ` (option names are case-sensitive: did you mean ${spelled}?)`;
    reader.warn(name, values[0]!.line, `unknown option, ignored${hint}`, key);
  }
}
