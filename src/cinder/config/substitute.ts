// oslo.config substitutes `$name` in option values with other options' values (Python
// string.Template with oslo's id pattern), and cinder relies on it: its database default is
// `sqlite:///$state_path/cinder.sqlite`, and deployment tools write `$state_path/...` and `$my_ip`.

/** `$$` (or `\$`) is a literal '$'; `$name`, `${name}` and `${group.name}` are substituted. */
const TEMPLATE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi;

/** References followed before we call it a loop (`a = $b`, `b = $a`); real files nest one or two. */
const SUBSTITUTION_DEPTH_MAX = 8;

/** Raw text of a referenced option (itself still to be substituted), or undefined if unknown. */
export type TemplateLookup = (name: string) => string | undefined;

export interface Substituted {
  readonly text: string;
  /** Names that are no option: left as written (oslo would fail on them). */
  readonly unknownNames: readonly string[];
  readonly loop: boolean;
}

export function substituteTemplates(text: string, lookup: TemplateLookup): Substituted {
  const unknownNames: string[] = [];
  let loop = false;
  const expand = (raw: string, depth: number): string =>
    raw.replace(/\\\$/g, '$$$$').replace(TEMPLATE, (whole, dollar, named, braced) => {
      if (dollar !== undefined) return '$';
      const name: string = named ?? braced;
      const referenced = lookup(name);
      if (referenced === undefined) {
        unknownNames.push(name);
        return whole;
      }
      if (depth >= SUBSTITUTION_DEPTH_MAX) {
        loop = true;
        return whole;
      }
      return expand(referenced, depth + 1);
    });
  // Fast path: most values hold no '$' at all.
  const result = text.includes('$') ? expand(text, 0) : text;
  return { text: result, unknownNames, loop };
}
