/**
 * Admission of the signaling server: TCP connections counted per remote address and in total, and
 * joins per minute per address and in total (token buckets of src/protocol/token-bucket.ts). The
 * bookkeeping itself is bounded: an address is kept while it has connections or joined within the
 * last minute, so there are at most `maxConnections` plus `maxJoinsPerMinute` of them (an address
 * forgotten a minute after its last join has its whole bucket back anyway).
 */

import { createTokenBucket, type TokenBucket } from '../protocol/token-bucket.js';
import type { RefusalReason } from './refusals.js';

/** Limits of {@link createAdmission}; integers ≥ 1. */
export interface AdmissionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxJoinsPerMinute: number;
  maxJoinsPerMinutePerAddress: number;
}

/** What is kept per remote address. */
interface AddressState {
  connections: number;
  readonly joins: TokenBucket;
  /** When it last joined (ms, `now`'s clock); it is forgotten a minute later without connections. */
  lastJoin: number;
}

/** Counts connections and joins; each method answers with the refusal, or `undefined` when admitted. */
export interface Admission {
  /** A TCP connection from `address` opens; when refused it is not counted. */
  open(address: string): RefusalReason | undefined;
  /** A connection admitted by `open` closed. */
  close(address: string): void;
  /** A connection from `address` joins a room. */
  join(address: string): RefusalReason | undefined;
  /** Forgets addresses with no connection that did not join in the last minute. */
  sweep(): void;
  /** Open TCP connections in total. */
  readonly connections: number;
}

const MINUTE_MS = 60_000;

/** Creates the admission counters. `now` is a monotonic clock in ms. */
export function createAdmission(limits: AdmissionLimits, now = () => performance.now()): Admission {
  const addresses = new Map<string, AddressState>();
  const perMinute = (count: number) => createTokenBucket({ ratePerSecond: count / 60, burst: count, now });
  const joins = perMinute(limits.maxJoinsPerMinute);
  let connections = 0;
  const stateOf = (address: string): AddressState => {
    let state = addresses.get(address);
    if (!state) {
      state = { connections: 0, joins: perMinute(limits.maxJoinsPerMinutePerAddress), lastJoin: -Infinity };
      addresses.set(address, state);
    }
    return state;
  };
  return {
    open(address) {
      if (connections >= limits.maxConnections) return 'max-connections';
      const state = stateOf(address);
      if (state.connections >= limits.maxConnectionsPerAddress) return 'max-connections-per-address';
      state.connections += 1;
      connections += 1;
      return undefined;
    },
    close(address) {
      const state = addresses.get(address);
      if (!state) return;
      state.connections -= 1;
      connections -= 1;
      if (state.connections === 0 && now() - state.lastJoin >= MINUTE_MS) addresses.delete(address);
    },
    join(address) {
      const state = stateOf(address);
      // The address's bucket first: one noisy address does not use up everyone's joins.
      if (!state.joins.take()) return 'joins-per-minute-per-address';
      if (!joins.take()) return 'joins-per-minute';
      state.lastJoin = now();
      return undefined;
    },
    sweep() {
      const t = now();
      for (const [address, state] of addresses)
        if (state.connections === 0 && t - state.lastJoin >= MINUTE_MS) addresses.delete(address);
    },
    get connections() {
      return connections;
    },
  };
}
