// `tandem cinder start --config-file cinder.conf`: reads a real cinder.conf with oslo.config's
// semantics into typed settings, or refuses it with the file, line, section and option at fault.
// Options Tandem does not know are ignored with a warning; options Cinder knows but Tandem does not
// use are ignored quietly, so a production file reads cleanly.

import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { BACKEND_DEFAULTS_SECTION, type CinderBackendConfig, readBackend } from './backend.js';
import { BACKEND_OPTION_NAMES } from './backend-options.js';
import { type DatabaseConfig, databaseConnectionOption, defaultDatabase } from './database.js';
import { CinderConfigError, type CinderConfigWarning } from './errors.js';
import { parseIni } from './ini.js';
import { OptionReader, type ReaderContext, WarningSink, warnUnknownOptions } from './option-reader.js';
import {
  type AuthStrategy,
  DATABASE_OPTION_NAMES,
  DEFAULT_SECTION_OPTION_NAMES,
  DEFAULT_SECTION_OPTIONS,
} from './service-options.js';

/**
 * Largest cinder.conf read. Real ones are a few KiB (a fully commented sample is ~200 KiB); the
 * bound keeps a wrong path (a disk image, /dev/zero) from being read into memory.
 * Belongs in src/constants.ts once this module is wired into the CLI.
 */
export const CINDER_CONFIG_FILE_MAX_BYTES = 4 * 1024 * 1024;

/** [DEFAULT] settings Tandem's Cinder uses. */
export interface CinderServiceConfig {
  readonly enabledBackends: readonly string[];
  readonly defaultVolumeType: string;
  readonly host: string;
  readonly myIp: string;
  /** state_path, absolute. */
  readonly statePath: string;
  readonly debug: boolean;
  readonly authStrategy: AuthStrategy;
  readonly osapiVolumeListen: string;
  readonly osapiVolumeListenPort: number;
  readonly storageAvailabilityZone: string;
}

export interface CinderConfig {
  readonly fileName: string;
  readonly service: CinderServiceConfig;
  /** In enabled_backends order. */
  readonly backends: readonly CinderBackendConfig[];
  readonly database: DatabaseConfig;
}

export interface ParseCinderConfigOptions {
  /** Relative state_path and sqlite paths resolve against this (default: process.cwd()). */
  readonly cwd?: string;
  /** `host` when the file does not set it (cinder: the machine's host name). */
  readonly hostname?: string;
  /** `my_ip` when the file does not set it (cinder: the host's IPv4 address). */
  readonly myIp?: string;
}

export interface ParsedCinderConfig {
  readonly config: CinderConfig;
  readonly warnings: readonly CinderConfigWarning[];
}

function readService(reader: OptionReader, options: Required<ParseCinderConfigOptions>) {
  const o = DEFAULT_SECTION_OPTIONS;
  const statePath = resolve(options.cwd, reader.value(o.statePath) ?? '.');
  return {
    enabledBackends: reader.value(o.enabledBackends) ?? [],
    defaultVolumeType: reader.value(o.defaultVolumeType),
    host: reader.value(o.host) ?? options.hostname,
    myIp: reader.value(o.myIp) ?? options.myIp,
    statePath,
    debug: reader.value(o.debug),
    authStrategy: reader.value(o.authStrategy),
    osapiVolumeListen: reader.value(o.osapiVolumeListen),
    osapiVolumeListenPort: reader.value(o.osapiVolumeListenPort),
    storageAvailabilityZone: reader.value(o.storageAvailabilityZone),
  };
}

/** Cinder reads backend options only from the backend's section and [backend_defaults] (since Ocata). */
function warnBackendOptionsInDefault(reader: OptionReader, context: ReaderContext): void {
  for (const [name, values] of context.doc.sections.get('DEFAULT')?.options ?? []) {
    if (!BACKEND_OPTION_NAMES.has(name) || DEFAULT_SECTION_OPTION_NAMES.has(name)) continue;
    const reason = `backend options are not read from [DEFAULT]; move it to [${BACKEND_DEFAULTS_SECTION}] or a backend section`;
    reader.warn(name, values[0]!.line, reason);
  }
}

function checkEnabledBackends(reader: OptionReader, names: readonly string[], line: number | null): void {
  if (names.length === 0)
    reader.warn('enabled_backends', line, 'no backends enabled: no volume service will run');
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '')
      throw reader.error('CINDER_CONFIG_INVALID_VALUE', 'enabled_backends', line, 'has an empty name');
    if (seen.has(name.toLowerCase())) {
      throw reader.error('CINDER_CONFIG_INVALID_VALUE', 'enabled_backends', line, `lists '${name}' twice`);
    }
    seen.add(name.toLowerCase());
  }
}

/** Sections that look like a backend but are not enabled are a likely mistake; cinder skips them. */
function warnDisabledBackendSections(context: ReaderContext, enabled: readonly string[]): void {
  const enabledKeys = new Set(enabled.map((name) => name.toLowerCase()));
  for (const [key, section] of context.doc.sections) {
    const driver = section.options.get('volume_driver');
    if (
      driver === undefined ||
      key === 'DEFAULT' ||
      key === BACKEND_DEFAULTS_SECTION ||
      enabledKeys.has(key)
    ) {
      continue;
    }
    const reader = new OptionReader(context, [key]);
    reader.warn(null, section.line, 'has a volume_driver but is not in enabled_backends; ignored');
  }
}

function readDatabase(context: ReaderContext, cwd: string, statePath: string): DatabaseConfig {
  const reader = new OptionReader(context, ['database']);
  warnUnknownOptions(reader, context.doc, 'database', DATABASE_OPTION_NAMES);
  return reader.value(databaseConnectionOption(cwd)) ?? defaultDatabase(statePath);
}

/** Parses cinder.conf text; `fileName` is only used in messages. Throws `CinderConfigError`. */
export function parseCinderConfig(
  text: string,
  fileName: string,
  options: ParseCinderConfigOptions = {},
): ParsedCinderConfig {
  const settings: Required<ParseCinderConfigOptions> = {
    cwd: options.cwd ?? process.cwd(),
    hostname: options.hostname ?? hostname(),
    myIp: options.myIp ?? '127.0.0.1',
  };
  const doc = parseIni(text, fileName);
  // What `$name` means when the file does not set `name` (a set one is substituted as written).
  const templateDefaults = new Map([
    ['state_path', settings.cwd],
    ['host', settings.hostname],
    ['my_ip', settings.myIp],
  ]);
  const sink = new WarningSink();
  const context: ReaderContext = { doc, sink, templateDefaults };
  const defaults = new OptionReader(context, ['DEFAULT']);
  warnUnknownOptions(
    defaults,
    doc,
    'DEFAULT',
    new Set([...DEFAULT_SECTION_OPTION_NAMES, ...BACKEND_OPTION_NAMES]),
  );
  warnBackendOptionsInDefault(defaults, context);
  warnUnknownOptions(defaults, doc, BACKEND_DEFAULTS_SECTION, BACKEND_OPTION_NAMES);
  const service = readService(defaults, settings);
  const enabledLine = defaults.read(DEFAULT_SECTION_OPTIONS.enabledBackends).line;
  checkEnabledBackends(defaults, service.enabledBackends, enabledLine);
  const backends = service.enabledBackends.map((name) => readBackend(context, name, enabledLine));
  warnDisabledBackendSections(context, service.enabledBackends);
  const database = readDatabase(context, settings.cwd, service.statePath);
  return { config: { fileName, service, backends, database }, warnings: sink.warnings };
}

/** Reads and parses the file at `path` (as given, for messages). */
export async function loadCinderConfig(
  path: string,
  options: ParseCinderConfigOptions = {},
): Promise<ParsedCinderConfig> {
  const where = { fileName: path, line: null, section: null, option: null };
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > CINDER_CONFIG_FILE_MAX_BYTES) {
      throw new Error(`larger than ${CINDER_CONFIG_FILE_MAX_BYTES} bytes; is it really cinder.conf?`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CinderConfigError('CINDER_CONFIG_UNREADABLE', where, `cannot read the file: ${reason}`);
  }
  return parseCinderConfig(text, path, options);
}
