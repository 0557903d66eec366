/**
 * The compute v1 `filter` subset the simulator understands, parsed strictly: anything else is
 * a 400 `invalid` like the real API answers for a filter it cannot read.
 *
 * - legacy form, one clause: `name eq <RE2>` / `name ne <RE2>` (full match; go-discover's zone filter)
 * - AIP-160 form: `field = "v"`, `field != "v"`, `field : "v"` (has), values quoted or bare,
 *   `AND` / `OR` (not mixed without parentheses), parentheses.
 *   Fields: `name`, `status`, `zone`, `labels.<key>`, `tags.items`.
 */

/** What a filter reads from one resource: a field's value, a list for `tags.items`, undefined when absent. */
export type FieldLookup = (field: string) => string | readonly string[] | undefined;

export type FilterPredicate = (lookup: FieldLookup) => boolean;

/** A filter the simulator refuses; the message becomes the 400 body. */
export class FilterSyntaxError extends Error {}

const FIELD = /^(name|status|zone|tags\.items|labels\.[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]*)$/u;

/** RE2 -> JS: named groups are spelled `(?P<n>` in RE2. Anchored for a full match. */
function fullMatchRegex(re2: string): RegExp {
  try {
    return new RegExp(`^(?:${re2.replace(/\(\?P</g, '(?<')})$`, 'u');
  } catch {
    throw new FilterSyntaxError(`invalid regular expression ${re2}`);
  }
}

type Token = { kind: 'lparen' | 'rparen' | 'op' | 'word' | 'string'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c });
      i++;
    } else if (c === '!' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (c === '=' || c === ':') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterSyntaxError('unterminated string');
        const d = input[i]!;
        if (d === '"') break;
        if (d === '\\') {
          const next = input[i + 1];
          if (next === undefined) throw new FilterSyntaxError('dangling escape');
          value += next;
          i += 2;
        } else {
          value += d;
          i++;
        }
      }
      i++;
      tokens.push({ kind: 'string', text: value });
    } else {
      const m = /^[^\s()=:!"]+/.exec(input.slice(i));
      if (!m) throw new FilterSyntaxError(`unexpected ${c}`);
      tokens.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

function valuesOf(lookup: FieldLookup, field: string): readonly string[] {
  const v = lookup(field);
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}

function comparison(field: string, op: string, literal: string): FilterPredicate {
  if (!FIELD.test(field)) throw new FilterSyntaxError(`unsupported field ${field}`);
  if (op === ':') return (lookup) => valuesOf(lookup, field).includes(literal);
  if (field === 'tags.items') throw new FilterSyntaxError('tags.items supports only the : operator');
  const equal: FilterPredicate = (lookup) => {
    const v = lookup(field);
    return typeof v === 'string' && v === literal;
  };
  return op === '=' ? equal : (lookup) => !equal(lookup);
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterPredicate {
    const predicate = this.expression();
    if (this.pos !== this.tokens.length) throw new FilterSyntaxError(`unexpected ${this.tokens[this.pos]!.text}`);
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    if (!token) throw new FilterSyntaxError('unexpected end of filter');
    return token;
  }

  private expression(): FilterPredicate {
    const terms = [this.term()];
    let joiner: 'AND' | 'OR' | undefined;
    for (;;) {
      const t = this.peek();
      if (t?.kind !== 'word' || (t.text !== 'AND' && t.text !== 'OR')) break;
      if (joiner && joiner !== t.text) throw new FilterSyntaxError('AND and OR mixed without parentheses');
      joiner = t.text;
      this.pos++;
      terms.push(this.term());
    }
    if (terms.length === 1) return terms[0]!;
    return joiner === 'OR' ? (l) => terms.some((p) => p(l)) : (l) => terms.every((p) => p(l));
  }

  private term(): FilterPredicate {
    const t = this.next();
    if (t.kind === 'lparen') {
      const inner = this.expression();
      if (this.next().kind !== 'rparen') throw new FilterSyntaxError('missing )');
      return inner;
    }
    if (t.kind !== 'word') throw new FilterSyntaxError(`unexpected ${t.text}`);
    const op = this.next();
    if (op.kind !== 'op') throw new FilterSyntaxError(`expected an operator after ${t.text}`);
    const literal = this.next();
    if (literal.kind !== 'string' && literal.kind !== 'word') throw new FilterSyntaxError(`expected a value after ${op.text}`);
    return comparison(t.text, op.text, literal.text);
  }
}

/**
 * Parses a filter into a predicate. Empty or absent: everything matches.
 * @throws FilterSyntaxError for anything outside the subset
 */
export function parseFilter(filter: string | null | undefined): FilterPredicate {
  if (!filter?.trim()) return () => true;
  const legacy = /^\s*([a-zA-Z][\w.]*)\s+(eq|ne)\s+(.+?)\s*$/.exec(filter);
  if (legacy) {
    const [, field, op, raw] = legacy as unknown as [string, string, string, string];
    if (field !== 'name') throw new FilterSyntaxError(`unsupported field ${field}`);
    const regex = fullMatchRegex(raw.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
    return (lookup) => {
      const v = lookup('name');
      const hit = typeof v === 'string' && regex.test(v);
      return op === 'eq' ? hit : !hit;
    };
  }
  return new Parser(tokenize(filter)).parse();
}
