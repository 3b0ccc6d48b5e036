/** Time in tests: fake timers, and waits on the real clock. */
import { vi } from 'vitest';

/**
 * Installs vitest's fake timers for everything the runtime reads to schedule (timeouts, intervals,
 * Date, performance); microtasks and setImmediate stay real. Undo with `vi.useRealTimers()`.
 */
export function useFakeTime(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms until it holds or `timeoutMs` passed; returns whether it held. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}
