/**
 * SIGTERM and SIGINT. Without a listener, Node dies of these signals at once, and no 'exit'
 * handler runs: whatever was still in the ring would be lost. So while a backend is open, ringlog
 * listens for both (on the main thread; other threads do not receive signals):
 *
 * - When the signal comes and the app has no listener of its own for it, ringlog drains every
 *   open backend (synchronously, as at exit), removes its listeners and sends the signal again.
 *   With no listener left, Node's default action runs: the process ends by that signal, with the
 *   status it would have had without ringlog (a parent sees "killed by SIGTERM").
 * - When the app has a listener of its own, the app decides what the signal means; ringlog does
 *   nothing. If the app then exits, with process.exit() or by letting the event loop end, the
 *   'exit' handler drains as usual.
 *
 * Whether the app listens is decided when the signal arrives, not when ringlog starts: a listener
 * added later counts. Merely adding a listener for SIGTERM turns off Node's default exit, which
 * is why ringlog must re-raise rather than return.
 */
import { isMainThread } from 'node:worker_threads';

type Drain = () => void;

export const DRAIN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type DrainSignal = (typeof DRAIN_SIGNALS)[number];

/** Marks ringlog's listeners, so that two copies of ringlog in one process do not take each other for the app. */
const RINGLOG_LISTENER = Symbol.for('ringlog.signalListener');

const drains = new Set<Drain>();

function onSignal(signal: DrainSignal): void {
  const others = process.listeners(signal).filter((listener) => !(RINGLOG_LISTENER in listener));
  if (others.length > 0) return;
  for (const drain of [...drains]) {
    try {
      drain();
    } catch {
      // One backend that cannot drain must not keep the others from it, nor the signal from ending the process.
    }
  }
  drains.clear();
  uninstall();
  // Another copy of ringlog still listening runs next in this same emit, drains its backends and
  // re-raises; the last one to go does.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const listener = Object.assign((signal: NodeJS.Signals) => onSignal(signal as DrainSignal), { [RINGLOG_LISTENER]: true });

function install(): void {
  for (const signal of DRAIN_SIGNALS) process.on(signal, listener);
}

function uninstall(): void {
  for (const signal of DRAIN_SIGNALS) process.off(signal, listener);
}

/**
 * Drains `drain` when SIGTERM or SIGINT would end the process; returns the function that stops
 * it (close() calls it). Does nothing outside the main thread.
 */
export function drainOnSignals(drain: Drain): () => void {
  if (!isMainThread) return () => {};
  if (drains.size === 0) install();
  drains.add(drain);
  return () => {
    if (drains.delete(drain) && drains.size === 0) uninstall();
  };
}
