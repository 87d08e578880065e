// Finds HTTP/1.1 request lines in a client→server byte stream, so the latency proxy can count
// requests without terminating HTTP. Keep-alive and pipelining put several requests on one
// connection; their bodies are skipped by Content-Length or chunked framing (RFC 9112 §6).

/** One request seen on the wire. */
export interface ObservedRequestLine {
  readonly method: string;
  /** The request target as sent: path and query. */
  readonly target: string;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 1024;
const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/;
const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

type State =
  | { readonly kind: 'head' }
  | { readonly kind: 'body'; remaining: number }
  | { readonly kind: 'chunk-size' }
  | { readonly kind: 'chunk-data'; remaining: number }
  | { readonly kind: 'trailers' }
  /** Not HTTP (a TLS ClientHello sent to a plain port, say): the rest of the stream is ignored. */
  | { readonly kind: 'opaque' };

/** Incremental parser: feed it chunks in order with {@link HttpRequestParser.push}. */
export class HttpRequestParser {
  #buffer: Buffer = Buffer.alloc(0);
  #state: State = { kind: 'head' };

  /** True once the stream turned out not to be HTTP/1.x. */
  get opaque(): boolean {
    return this.#state.kind === 'opaque';
  }

  /** Consumes `chunk` and returns the requests whose request line and headers completed in it. */
  push(chunk: Buffer): ObservedRequestLine[] {
    if (this.#state.kind === 'opaque') return [];
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const found: ObservedRequestLine[] = [];
    // Each pass consumes bytes or returns, so the loop ends with the buffer.
    for (;;) {
      const progressed = this.#step(found);
      if (!progressed || this.opaque) return found;
    }
  }

  #step(found: ObservedRequestLine[]): boolean {
    const state = this.#state;
    switch (state.kind) {
      case 'head':
        return this.#readHead(found);
      case 'body':
      case 'chunk-data':
        return this.#skip(state);
      case 'chunk-size':
        return this.#readChunkSize();
      case 'trailers':
        return this.#readTrailers();
      case 'opaque':
        return false;
    }
  }

  #readHead(found: ObservedRequestLine[]): boolean {
    // RFC 9112 §2.2: a server should ignore empty lines received before the request line.
    let start = 0;
    while (this.#buffer.subarray(start, start + 2).equals(CRLF)) start += 2;
    if (start > 0) this.#buffer = this.#buffer.subarray(start);
    const end = this.#buffer.indexOf(HEAD_END);
    if (end < 0) {
      if (this.#buffer.length > MAX_HEAD_BYTES || !this.#looksLikeHttp()) this.#state = { kind: 'opaque' };
      return false;
    }
    const lines = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    this.#buffer = this.#buffer.subarray(end + HEAD_END.length);
    const match = REQUEST_LINE.exec(lines[0] ?? '');
    if (match === null) {
      this.#state = { kind: 'opaque' };
      return false;
    }
    found.push({ method: match[1] as string, target: match[2] as string });
    let length = 0;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number.parseInt(value, 10) || 0;
      if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').map((v) => v.trim()).includes('chunked');
    }
    // Chunked wins over Content-Length (RFC 9112 §6.3).
    this.#state = chunked ? { kind: 'chunk-size' } : length > 0 ? { kind: 'body', remaining: length } : { kind: 'head' };
    return true;
  }

  /** Before the head is complete: do the bytes so far start like a request line? */
  #looksLikeHttp(): boolean {
    const prefix = this.#buffer.subarray(0, 16).toString('latin1');
    // Leading CRLFs may still be arriving one byte at a time.
    return /^[\r\n]*[A-Z]{0,15}( |$)/.test(prefix);
  }

  #skip(state: { kind: 'body' | 'chunk-data'; remaining: number }): boolean {
    if (this.#buffer.length === 0) return false;
    const taken = Math.min(state.remaining, this.#buffer.length);
    this.#buffer = this.#buffer.subarray(taken);
    state.remaining -= taken;
    if (state.remaining > 0) return taken > 0;
    // A chunk's data is followed by CRLF, which the next chunk-size line read skips.
    this.#state = state.kind === 'body' ? { kind: 'head' } : { kind: 'chunk-size' };
    return true;
  }

  #readChunkSize(): boolean {
    let line = this.#takeLine();
    if (line === '') line = this.#takeLine(); // the CRLF ending the previous chunk's data
    if (line === undefined) return false;
    const size = Number.parseInt(line.split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) {
      this.#state = { kind: 'opaque' };
      return false;
    }
    this.#state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size };
    return true;
  }

  #readTrailers(): boolean {
    const line = this.#takeLine();
    if (line === undefined) return false;
    if (line === '') this.#state = { kind: 'head' };
    return true;
  }

  /** Removes and returns one CRLF-terminated line, or undefined when none is complete yet. */
  #takeLine(): string | undefined {
    const end = this.#buffer.indexOf(CRLF);
    if (end < 0) {
      if (this.#buffer.length > MAX_CHUNK_LINE_BYTES) this.#state = { kind: 'opaque' };
      return undefined;
    }
    const line = this.#buffer.subarray(0, end).toString('latin1');
    this.#buffer = this.#buffer.subarray(end + CRLF.length);
    return line;
  }
}
