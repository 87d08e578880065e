import type { Dispatcher } from 'undici';
import { abortError } from './abort.js';
import { networkError } from './errors.js';

type ResponseBody = Dispatcher.ResponseData['body'];

/** A body read with a bound: `complete` is false when it was longer than the bound (the rest was discarded). */
export interface BoundedBody {
  readonly data: Buffer;
  readonly complete: boolean;
}

/** A response whose body is read with a bound, or discarded. */
export class HttpResponse {
  readonly #body: ResponseBody;
  readonly #headers: Dispatcher.ResponseData['headers'];
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  #buffered: BoundedBody | undefined;

  constructor(
    readonly method: string,
    /** The URL that answered: after redirects, not necessarily the one requested. */
    readonly url: URL,
    readonly status: number,
    headers: Dispatcher.ResponseData['headers'],
    body: ResponseBody,
    timeoutMs: number,
    /** The caller's signal: a read it interrupts fails with the abort error, not a network error. */
    signal?: AbortSignal,
  ) {
    this.#headers = headers;
    this.#body = body;
    this.#timeoutMs = timeoutMs;
    this.#signal = signal;
  }

  /** The host that answered, for messages. */
  get host(): string {
    return this.url.host;
  }

  /** All values of a header (lowercase name), e.g. several `WWW-Authenticate` lines. */
  headerValues(name: string): string[] {
    const value = this.#headers[name];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }

  /** The first value of a header (lowercase name). */
  header(name: string): string | undefined {
    return this.headerValues(name)[0];
  }

  /** Drains the body so the connection returns to the pool; a body too large to drain closes the socket instead. */
  async discard(): Promise<void> {
    if (this.#buffered !== undefined) return;
    await this.#body.dump().catch(() => undefined);
  }

  /**
   * Reads at most `limit` bytes and keeps them, so a layer that had to look at the body (the retry
   * layer, for the registry error code) can still hand the response on; later reads replay it.
   */
  async buffer(limit: number): Promise<BoundedBody> {
    this.#buffered ??= await this.#readStream(limit);
    return this.#buffered;
  }

  /** Reads at most `limit` bytes; `complete` is false when the body was longer (the rest is discarded). */
  async read(limit: number): Promise<BoundedBody> {
    const buffered = this.#buffered;
    if (buffered === undefined) return this.#readStream(limit);
    return { data: buffered.data.subarray(0, limit), complete: buffered.complete && buffered.data.length <= limit };
  }

  async #readStream(limit: number): Promise<BoundedBody> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.#body) {
        const buffer = chunk as Buffer;
        if (size + buffer.length > limit) {
          chunks.push(buffer.subarray(0, limit - size));
          this.#body.destroy();
          return { data: Buffer.concat(chunks), complete: false };
        }
        chunks.push(buffer);
        size += buffer.length;
      }
    } catch (error) {
      if (this.#signal?.aborted) throw abortError(this.#signal);
      throw networkError(this.method, this.url, error, this.#timeoutMs);
    }
    return { data: Buffer.concat(chunks), complete: true };
  }
}
