/** Settling promise callbacks without timers. */

/**
 * Lets pending promise callbacks run (XState promise actors and their done/error relays, the
 * binding's chains): `rounds` microtask turns, no timers involved, so it works under fake timers.
 */
export async function flushMicrotasks(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
