import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortError, formatSeconds, raceAbort, sleep } from '../../src/registry/abort.js';
import { RegistryError } from '../../src/registry/errors.js';
import { parseRetryAfter, retryDelay, retryPolicy, type RetryPolicy } from '../../src/registry/retry.js';

const NOW = Date.parse('2026-01-02T03:04:05Z');

describe('parseRetryAfter', () => {
  const table: ReadonlyArray<readonly [string, string | undefined, number | undefined]> = [
    ['absent', undefined, undefined],
    ['seconds', '120', 120_000],
    ['zero seconds', '0', 0],
    ['seconds with spaces', ' 3 ', 3_000],
    ['an IMF-fixdate 30 s ahead', 'Fri, 02 Jan 2026 03:04:35 GMT', 30_000],
    ['an obsolete RFC 850 date', 'Friday, 02-Jan-26 03:04:15 GMT', 10_000],
    ['a date in the past', 'Thu, 01 Jan 2026 00:00:00 GMT', 0],
    ['a negative number', '-5', undefined],
    ['a fraction', '1.5', undefined],
    ['junk', 'soon', undefined],
  ];
  for (const [name, value, expected] of table) {
    it(`reads ${name}`, () => assert.equal(parseRetryAfter(value, NOW), expected));
  }
});

describe('retryDelay', () => {
  const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };
  const table: ReadonlyArray<readonly [string, number, number | undefined, number, number]> = [
    ['full jitter after the first attempt, top of the range', 1, undefined, 0.999, 99],
    ['full jitter can be zero', 1, undefined, 0, 0],
    ['the range doubles per attempt', 3, undefined, 0.5, 200],
    ['the range is capped', 10, undefined, 0.5, 500],
    ['Retry-After wins over backoff', 1, 700, 0, 700],
    ['Retry-After is capped too', 1, 60_000, 0, 1_000],
  ];
  for (const [name, attempt, retryAfter, random, expected] of table) {
    it(name, () => assert.equal(retryDelay(policy, attempt, retryAfter, () => random), expected));
  }
});

describe('retryPolicy', () => {
  it('fills in the defaults', () => assert.deepEqual(retryPolicy(), { attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 }));
  it('keeps what is given', () => assert.deepEqual(retryPolicy({ attempts: 1, maxDelayMs: 0 }), { attempts: 1, baseDelayMs: 500, maxDelayMs: 0 }));
  for (const [name, options] of [
    ['zero attempts', { attempts: 0 }],
    ['fractional attempts', { attempts: 2.5 }],
    ['a negative delay', { baseDelayMs: -1 }],
    ['an infinite cap', { maxDelayMs: Number.POSITIVE_INFINITY }],
  ] as const) {
    it(`rejects ${name}`, () => assert.throws(() => retryPolicy(options), TypeError));
  }
});

describe('abortError', () => {
  const aborted = (reason: unknown): AbortSignal => AbortSignal.abort(reason);
  const started = NOW - 30_000;
  const table: ReadonlyArray<readonly [string, unknown, RegistryError['code'], string]> = [
    ['AbortSignal.timeout, named by the elapsed time', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'ERR_TIMEOUT', 'timed out after 30s'],
    ['a deadline error that says its own duration', Object.assign(new Error('timed out after 300s'), { code: 'ERR_TIMEOUT' }), 'ERR_TIMEOUT', 'timed out after 300s'],
    ['a plain abort()', new DOMException('This operation was aborted', 'AbortError'), 'ERR_ABORTED', 'aborted'],
    ['an abort with a reason', new Error('user pressed ctrl-c'), 'ERR_ABORTED', 'aborted: user pressed ctrl-c'],
    ['a reason that is not an error', 'bye', 'ERR_ABORTED', 'aborted'],
  ];
  for (const [name, reason, code, message] of table) {
    it(`describes ${name}`, () => {
      const error = abortError(aborted(reason), started, NOW);
      assert.equal(error.code, code);
      assert.equal(error.message, message);
      assert.equal(error.temporary, false);
    });
  }

  it('passes a RegistryError reason through', () => {
    const reason = new RegistryError('ERR_ABORTED', 'registry client closed');
    assert.equal(abortError(aborted(reason)), reason);
  });
});

describe('formatSeconds', () => {
  for (const [ms, text] of [[30_000, '30s'], [1_500, '1.5s'], [200, '0.2s'], [29_996, '30s'], [0, '0s']] as const) {
    it(`${ms} ms is ${text}`, () => assert.equal(formatSeconds(ms), text));
  }
});

describe('sleep and raceAbort', () => {
  it('sleep rejects with the abort error as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await assert.rejects(waiting, { code: 'ERR_ABORTED', message: 'aborted' });
  });

  it('raceAbort lets the caller go while the shared work runs on', async () => {
    const controller = new AbortController();
    let finish: (value: string) => void = () => undefined;
    const shared = new Promise<string>((resolve) => (finish = resolve));
    const mine = raceAbort(shared, controller.signal);
    controller.abort(new DOMException('timeout', 'TimeoutError'));
    await assert.rejects(mine, { code: 'ERR_TIMEOUT' });
    finish('done');
    assert.equal(await raceAbort(shared, undefined), 'done');
  });

  it('raceAbort settles like the promise when nothing aborts', async () => {
    assert.equal(await raceAbort(Promise.resolve(7), new AbortController().signal), 7);
  });
});
