/** Bounded waits: every wait of a benchmark fails with a clear error instead of hanging. */

/** A wait that did not finish in time. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/**
 * Resolves or rejects as `promise` does, or rejects with a DeadlineError naming `what` once
 * `timeoutMs` (ms) have passed. `detail()` is appended to the timeout message (e.g. states, errors).
 */
export function within<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  detail?: () => string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const extra = detail?.();
      reject(new DeadlineError(`${what}: nothing within ${timeoutMs} ms${extra ? ` (${extra})` : ''}`));
    }, timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
