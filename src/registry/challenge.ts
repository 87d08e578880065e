import { SCHEME_BASIC, SCHEME_BEARER } from './constants.js';

/** One challenge of a `WWW-Authenticate` header; scheme and parameter names are lowercased. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
  readonly token68?: string;
}

// RFC 7230 §3.2.6 tchar; RFC 7235 §2.1 token68.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[-._~+/0-9A-Za-z]/;

/**
 * Parses a `WWW-Authenticate` header into its challenges (RFC 7235 §4.1).
 *
 * One header may hold several challenges (`Bearer realm="…",service="…", Basic realm="x"`), so the
 * header cannot be split on spaces or commas: a comma separates either parameters or challenges,
 * and only the lookahead `token BWS "="` tells which. Quoted strings may hold commas and escaped
 * quotes (RFC 7230 §3.2.6). Unparseable pieces are skipped up to the next comma.
 */
export function parseChallenges(header: string): Challenge[] {
  return new ChallengeParser(header).parse();
}

/** Picks the challenge digester can answer, preferring Bearer over Basic; undefined when neither is offered. */
export function selectChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === SCHEME_BEARER) ?? challenges.find((c) => c.scheme === SCHEME_BASIC);
}

class ChallengeParser {
  readonly #s: string;
  #pos = 0;

  constructor(header: string) {
    this.#s = header;
  }

  parse(): Challenge[] {
    const challenges: Challenge[] = [];
    for (;;) {
      this.#skipSeparators();
      if (this.#atEnd()) return challenges;
      const scheme = this.#readWhile(TCHAR);
      if (scheme === '' || !this.#atSeparatorOrSpace()) {
        this.#skipPastComma();
        continue;
      }
      challenges.push(this.#readChallengeBody(scheme.toLowerCase()));
    }
  }

  #readChallengeBody(scheme: string): Challenge {
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    this.#skipSpaces();
    if (this.#atEnd() || this.#peek() === ',') return { scheme, params };
    if (!this.#atParam()) {
      const token68 = this.#readToken68();
      if (token68 !== undefined) return { scheme, params, token68 };
      this.#skipPastComma();
      return { scheme, params };
    }
    // #auth-param: keep reading while the item after each comma is another `name=`.
    for (;;) {
      const param = this.#readParam();
      if (param !== undefined && !(param[0] in params)) {
        // RFC 7235 §2.1: each parameter name must occur once; keep the first.
        params[param[0]] = param[1];
      }
      this.#skipSeparators();
      if (this.#atEnd() || !this.#atParam()) return { scheme, params };
    }
  }

  /** Lookahead for `token BWS "=" BWS` followed by a value (not another `=`, which would be token68 padding). */
  #atParam(): boolean {
    const start = this.#pos;
    try {
      if (this.#readWhile(TCHAR) === '') return false;
      this.#skipSpaces();
      if (this.#peek() !== '=') return false;
      this.#pos++;
      this.#skipSpaces();
      const next = this.#peek();
      return next !== undefined && next !== '=' && next !== ',';
    } finally {
      this.#pos = start;
    }
  }

  #readParam(): [string, string] | undefined {
    const name = this.#readWhile(TCHAR).toLowerCase();
    this.#skipSpaces();
    this.#pos++; // "=", guaranteed by #atParam
    this.#skipSpaces();
    const value = this.#peek() === '"' ? this.#readQuoted() : this.#readBareValue();
    // Junk after a complete value is skipped; the value itself is still good.
    this.#skipPastComma();
    return value === undefined ? undefined : [name, value];
  }

  /** quoted-string with quoted-pair escapes (RFC 7230 §3.2.6); undefined when unterminated. */
  #readQuoted(): string | undefined {
    let value = '';
    for (this.#pos++; this.#pos < this.#s.length; this.#pos++) {
      const c = this.#s.charAt(this.#pos);
      if (c === '"') {
        this.#pos++;
        return value;
      }
      if (c === '\\' && this.#pos + 1 < this.#s.length) this.#pos++;
      value += this.#s.charAt(this.#pos);
    }
    return undefined;
  }

  /** A token value; leniently extended up to the next comma or space, since some registries leave URLs unquoted. */
  #readBareValue(): string {
    return this.#readWhile(/[^,\s]/);
  }

  #readToken68(): string | undefined {
    const start = this.#pos;
    let value = this.#readWhile(TOKEN68_CHAR);
    if (value === '') return undefined;
    value += this.#readWhile(/=/);
    this.#skipSpaces();
    if (this.#atEnd() || this.#peek() === ',') return value;
    this.#pos = start;
    return undefined;
  }

  #readWhile(pattern: RegExp): string {
    const start = this.#pos;
    while (this.#pos < this.#s.length && pattern.test(this.#s.charAt(this.#pos))) this.#pos++;
    return this.#s.slice(start, this.#pos);
  }

  #skipPastComma(): void {
    let quoted = false;
    for (; this.#pos < this.#s.length; this.#pos++) {
      const c = this.#s.charAt(this.#pos);
      if (quoted && c === '\\') this.#pos++;
      else if (c === '"') quoted = !quoted;
      else if (c === ',' && !quoted) return;
    }
  }

  #skipSpaces(): void {
    this.#readWhile(/[ \t]/);
  }

  #skipSeparators(): void {
    this.#readWhile(/[ \t,]/);
  }

  #atSeparatorOrSpace(): boolean {
    return this.#atEnd() || /[ \t,]/.test(this.#s.charAt(this.#pos));
  }

  #peek(): string | undefined {
    return this.#pos < this.#s.length ? this.#s.charAt(this.#pos) : undefined;
  }

  #atEnd(): boolean {
    return this.#pos >= this.#s.length;
  }
}
