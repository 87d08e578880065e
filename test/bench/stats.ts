// Summaries of repeated measurements: the median is the figure, min–max shows the spread.

/** Median and range of a series of samples. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

/** Summarizes samples; an empty series is NaN throughout, so a missing figure never looks like zero. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, samples: [] };
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, samples: [...samples] };
}

/** Ratio of two summaries' medians. */
export function ratio(numerator: Summary, denominator: Summary): number {
  return numerator.median / denominator.median;
}

/**
 * How many rounds of round trips a series of request times needs: a request sent less than one
 * RTT after the first request of the current round cannot have waited for any answer in it.
 */
export function countRounds(times: readonly number[], rttMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let rounds = 0;
  let roundStart = Number.NEGATIVE_INFINITY;
  for (const time of sorted) {
    if (time >= roundStart + rttMs) {
      rounds += 1;
      roundStart = time;
    }
  }
  return rounds;
}
