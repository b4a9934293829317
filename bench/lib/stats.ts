/** The few statistics the report needs. Medians, because a shared machine adds outliers, not noise around a mean. */

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Percentile `p` (0-100) of values sorted ascending, interpolated between neighbours. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Median of per-run ratios: each ratio compares two numbers taken from the same round. */
export function medianRatio(numerators: readonly number[], denominators: readonly number[]): number {
  const ratios = numerators.map((a, i) => a / denominators[i]!).filter(Number.isFinite);
  return ratios.length === 0 ? NaN : median(ratios);
}
