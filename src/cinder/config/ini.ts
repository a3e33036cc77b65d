// The INI dialect of oslo.config (oslo_config/iniparser.py), not Python's configparser: cinder.conf
// files are written for it, so its quirks are kept where a file could depend on them:
// - `key = value` and `key: value`; whichever of '=' and ':' comes first splits the line, so
//   `replication_device = backend_id:x,san_ip:1.2.3.4:9443` splits at '=';
// - a value wholly wrapped in matching single or double quotes loses them;
// - a line starting with a space or tab continues the value above it (joined with '\n'), and a blank
//   line or a comment ends the value, so an indented line after one is an error;
// - '#' and ';' start comments only at the beginning of a line (`a = 1 # x` keeps `1 # x`);
// - a key may repeat: every value is kept in order (multi-valued options read them all, the others
//   the last);
// - a section may repeat, and section names match case-insensitively except `DEFAULT`, which
//   oslo keeps exact (`[default]` is an ordinary section). Option names are case-sensitive.
// One leniency: a UTF-8 byte order mark at the start is skipped (oslo would reject the first line).

import { CinderConfigError } from './errors.js';

/** One value as written, after quote stripping and continuation joining, with its 1-based line. */
export interface IniValue {
  readonly text: string;
  readonly line: number;
}

export interface IniSection {
  /** The name as first written; `IniDocument.sections` is keyed by `normalizeSectionName`. */
  readonly name: string;
  /** Line of the first `[name]` header. */
  readonly line: number;
  /** Every value of each key, in file order. */
  readonly options: Map<string, IniValue[]>;
}

export interface IniDocument {
  readonly fileName: string;
  readonly sections: Map<string, IniSection>;
}

/** oslo.config's group-name normalization: lower case, except `DEFAULT` itself. */
export function normalizeSectionName(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

/** Parses cinder.conf text; throws `CinderConfigError` (CINDER_CONFIG_SYNTAX) with the line number. */
export function parseIni(text: string, fileName: string): IniDocument {
  const reader = new IniReader(fileName);
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index++) reader.readLine(lines[index]!, index + 1);
  reader.finish();
  return { fileName, sections: reader.sections };
}

interface PendingValue {
  key: string;
  parts: string[];
  line: number;
}

class IniReader {
  readonly sections = new Map<string, IniSection>();
  private section: IniSection | null = null;
  private pending: PendingValue | null = null;

  constructor(private readonly fileName: string) {}

  readLine(raw: string, line: number): void {
    const text = raw.trimEnd();
    if (text === '') {
      this.flush();
      return;
    }
    if (text.startsWith(' ') || text.startsWith('\t')) {
      // No line content in this message: an indented line may well be `pure_api_token = ...`.
      if (this.pending === null) {
        throw this.syntaxError(line, null, 'unexpected continuation line (it starts with a space or tab)');
      }
      this.pending.parts.push(text.trimStart());
      return;
    }
    this.flush();
    if (text.startsWith('[')) this.startSection(text, line);
    else if (!text.startsWith('#') && !text.startsWith(';')) this.pending = this.splitKeyValue(text, line);
  }

  finish(): void {
    this.flush();
  }

  private startSection(text: string, line: number): void {
    if (!text.endsWith(']')) throw this.syntaxError(line, null, `section header ${text} must end with ']'`);
    if (text.length <= 2) throw this.syntaxError(line, null, 'empty section name');
    const name = text.slice(1, -1);
    const key = normalizeSectionName(name);
    let section = this.sections.get(key);
    if (section === undefined) {
      section = { name, line, options: new Map() };
      this.sections.set(key, section);
    }
    this.section = section;
  }

  private splitKeyValue(text: string, line: number): PendingValue {
    const colon = text.indexOf(':');
    const equal = text.indexOf('=');
    if (colon < 0 && equal < 0) throw this.syntaxError(line, null, "no '=' or ':' in this line");
    const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
    const key = text.slice(0, at).trim();
    let value = text.slice(at + 1).trim();
    if (value.length >= 1 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
      value = value.slice(1, -1);
    }
    if (key === '') throw this.syntaxError(line, null, "empty option name before '=' or ':'");
    return { key, parts: [value], line };
  }

  private flush(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    if (this.section === null) {
      throw this.syntaxError(pending.line, pending.key, 'option outside any section (start with [DEFAULT])');
    }
    const values = this.section.options.get(pending.key) ?? [];
    values.push({ text: pending.parts.join('\n'), line: pending.line });
    this.section.options.set(pending.key, values);
  }

  private syntaxError(line: number, option: string | null, reason: string): CinderConfigError {
    const section = this.section?.name ?? null;
    return new CinderConfigError(
      'CINDER_CONFIG_SYNTAX',
      { fileName: this.fileName, line, section, option },
      reason,
    );
  }
}
