/**
 * Memory of the measuring process, all threads included. Each measurement runs in its own child
 * process (see child.ts), so the peak belongs to that one variant.
 */

export interface Memory {
  /** getrusage's high-water mark: `process.resourceUsage().maxRSS`, in bytes. */
  readonly maxRssBytes: number;
  /** Largest of the RSS samples taken during the run. */
  readonly peakSampledRssBytes: number;
}

export interface RssSampler {
  /** The largest sample so far. */
  readonly peak: number;
  /** Stops sampling; returns the memory figures at this moment. */
  stop(): Memory;
}

export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Samples `process.memoryUsage.rss()` every `intervalMs`; `onSample` may stop a runaway run. */
export function sampleRss(intervalMs: number, onSample?: (rss: number, at: number) => void): RssSampler {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    onSample?.(rss, performance.now());
  }, intervalMs);
  return {
    get peak() {
      return peak;
    },
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { maxRssBytes: maxRssBytes(), peakSampledRssBytes: peak };
    },
  };
}
