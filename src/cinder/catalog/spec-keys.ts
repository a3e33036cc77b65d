// Checks shared by extra specs, group specs and QoS specs: Cinder's key grammar and string
// lengths (cinder/api/validation/parameter_types.py), and the name rules of types.

import { cinderErrors } from '../errors.js';
import { boolFromString, splitWords } from '../scheduler/python-semantics.js';

/** Cinder's column widths: names, descriptions and spec values are String(255). */
export const CATALOG_NAME_MAX_CHARS = 255;
export const CATALOG_DESCRIPTION_MAX_CHARS = 255;
export const SPEC_VALUE_MAX_CHARS = 255;
/** Specs on one type or QoS entry; Cinder has no limit, this keeps one record bounded. */
export const SPECS_PER_RECORD_MAX = 256;

/** parameter_types.extra_specs_with_no_spaces_key allows spaces; this is the general key pattern. */
const SPEC_KEY = /^[a-zA-Z0-9\-_:. /]{1,255}$/;

/** The specs as strings, or a 400 naming the offending key. */
export function checkSpecs(specs: Record<string, unknown>, what: string): Record<string, string> {
  const checked: Record<string, string> = {};
  const entries = Object.entries(specs);
  if (entries.length > SPECS_PER_RECORD_MAX)
    throw cinderErrors.invalidInput(`${what} may hold at most ${SPECS_PER_RECORD_MAX} keys.`);
  for (const [key, value] of entries) {
    if (!SPEC_KEY.test(key)) throw cinderErrors.invalidInput(`${what} key '${key}' is not a valid key.`);
    // Cinder's schema takes strings; numbers and booleans are what a script most likely meant.
    const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    if (typeof text !== 'string')
      throw cinderErrors.invalidInput(`${what} value for '${key}' must be a string.`);
    if (text.length > SPEC_VALUE_MAX_CHARS)
      throw cinderErrors.invalidInput(`${what} value for '${key}' is longer than ${SPEC_VALUE_MAX_CHARS}.`);
    checked[key] = text;
  }
  return checked;
}

/** A type or QoS name: stripped, 1..255 characters. */
export function checkName(name: string, what: string): string {
  const stripped = name.trim();
  if (stripped.length === 0) throw cinderErrors.invalidInput(`${what} name can not be empty.`);
  if (stripped.length > CATALOG_NAME_MAX_CHARS)
    throw cinderErrors.invalidInput(`${what} name is longer than ${CATALOG_NAME_MAX_CHARS} characters.`);
  return stripped;
}

export function checkDescription(description: string | null, what: string): string | null {
  if (description !== null && description.length > CATALOG_DESCRIPTION_MAX_CHARS)
    throw cinderErrors.invalidInput(
      `${what} description is longer than ${CATALOG_DESCRIPTION_MAX_CHARS} characters.`,
    );
  return description;
}

/** Cinder's is_replicated_spec: exactly '<is>' and a true word (volume_utils.is_replicated_spec). */
export function isReplicatedSpec(value: string | undefined): boolean {
  if (value === undefined) return false;
  const words = splitWords(value);
  return words.length === 2 && words[0] === '<is>' && boolFromString(words[1]);
}
