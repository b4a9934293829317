/**
 * Wraps fs calls so that, after each one, `check()` is noted in `seen`: what a reader of the
 * file system would find between the steps of an operation (a rotation, say).
 */
export function noteAfter(seen: boolean[], check: () => boolean) {
  return <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      const result = call(...args);
      seen.push(check());
      return result;
    };
}
