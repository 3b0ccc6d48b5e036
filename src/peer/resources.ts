/**
 * What a peer actor owns outside its chart: the current RTCPeerConnection binding, the outbox, the
 * inbox and the streams the application reads. Keyed by the actor's integer key; created with the
 * actor and disposed when it stops (the chart's `peerResources` actor), so a stopped peer leaves
 * nothing behind.
 */
import { Subject } from 'rxjs';
import type { PeerstateError } from '../errors.js';
import type { PeerConnectionBinding } from '../rtc/binding.js';
import type { HelloVerdict, OutboxLimits } from './delivery.js';
import { Inbox, Outbox } from './delivery.js';

/** One message received from a remote peer. */
export interface PeerMessage {
  /** The remote peer id. */
  from: string;
  /** The payload as sent: a string, or bytes. */
  data: string | Uint8Array;
}

/** The resources of one peer actor. */
export interface PeerResources {
  readonly key: number;
  readonly remoteId: string;
  readonly outbox: Outbox;
  readonly inbox: Inbox;
  /**
   * The binding of the current RTCPeerConnection, set by the pc actor that owns it while it runs;
   * the negotiation steps and the two state guards read it (checked against the chart's connection number).
   */
  binding: PeerConnectionBinding | null;
  /**
   * This peer actor's identity on the wire (`PeerInput.instance`): its signals and its channel hello
   * carry it, so the remote can tell a new actor (numbering from 1 again) from this one.
   */
  readonly instance: string;
  /**
   * What the remote's latest hello said of our numbering, kept for the chart's RESUME (whose event
   * carries only the resume point); taken by it, or by a resync while connected. Null: none pending.
   */
  remoteHello: HelloVerdict | null;
  /**
   * Whether received messages go to the application now: only while the peer is `connected`, so no
   * message is seen before `state$` says so. Until then they wait in `pending`, in order.
   */
  delivering: boolean;
  /** Messages received in order while not `connected`, and their payload bytes in total. */
  pending: (string | Uint8Array)[];
  pendingBytes: number;
  /**
   * The last heartbeat round trip, in ms: from one of our pings to the remote's pong of it, on any
   * of this peer's connections so far; null before the first (or with a remote that does not reply).
   */
  roundTripMs: number | null;
}

/** Registry of every live peer actor's resources, with the system-wide streams they feed. */
export class PeerResourceRegistry {
  private readonly byKey = new Map<number, PeerResources>();
  /** Every message received, from every peer, in arrival order per peer. */
  readonly messages = new Subject<PeerMessage>();
  /** Every error reported by any peer. */
  readonly errors = new Subject<PeerstateError>();

  constructor(private readonly outboxLimits: OutboxLimits) {}

  /** Creates the resources of a new peer actor. */
  open(key: number, remoteId: string, instance: string): PeerResources {
    const resources: PeerResources = {
      key,
      remoteId,
      outbox: new Outbox(this.outboxLimits),
      inbox: new Inbox(),
      binding: null,
      instance,
      remoteHello: null,
      delivering: false,
      pending: [],
      pendingBytes: 0,
      roundTripMs: null,
    };
    this.byKey.set(key, resources);
    return resources;
  }

  /** The resources of a live peer actor, or undefined once it stopped. */
  get(key: number): PeerResources | undefined {
    return this.byKey.get(key);
  }

  /** Forgets a stopped peer actor's resources. */
  delete(key: number): void {
    this.byKey.delete(key);
  }

  /** Completes the streams; called once when the system stops. */
  complete(): void {
    this.messages.complete();
    this.errors.complete();
  }
}
