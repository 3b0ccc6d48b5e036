/**
 * An actor's snapshots as an Observable that starts with the current one. Built on `Observable`
 * alone: rxjs's `from`, `defer` and `startWith` would bring its scheduling and conversion code
 * (promises, iterables, streams) into the browser bundle for no use here.
 */
import type { Observer, Unsubscribable } from 'rxjs';
import { Observable } from 'rxjs';

/** What `snapshots` reads: an XState actor (its `getSnapshot` and observer `subscribe`). */
export interface Snapshotted<TSnapshot> {
  getSnapshot(): TSnapshot;
  subscribe(observer: Observer<TSnapshot>): Unsubscribable;
}

/**
 * The current snapshot of `actor` at subscription, then each new one; completes when the actor stops,
 * errors with the actor's error. Cold: each subscriber reads the actor itself.
 */
export function snapshots<TSnapshot>(actor: Snapshotted<TSnapshot>): Observable<TSnapshot> {
  return new Observable<TSnapshot>((subscriber) => {
    subscriber.next(actor.getSnapshot());
    return actor.subscribe(subscriber);
  });
}
