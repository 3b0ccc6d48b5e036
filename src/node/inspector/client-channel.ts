/**
 * One page's WebSocket, with a bounded send queue. At most one frame is in flight; what changes
 * meanwhile waits merged: the latest view per system and per peer (older ones are overwritten, never
 * queued), the keys of peer views gone (a pending view of one is dropped with it) and at most `timelineLimit` timeline entries (the oldest dropped and counted). A page that
 * reads slowly therefore gets fewer, newer frames, and the memory it costs stays bounded.
 */
import type { FeedChanges } from './feed.js';
import type { InspectorMessage, PeerView, SystemView, TimelineEntry } from './views.js';

/**
 * What the channel needs of a page's socket; ws's WebSocket has it. Declared here so that the
 * published types do not need ws's own (@types/ws is not a dependency of ours).
 */
export interface PageSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string, callback: (error?: Error) => void): void;
  terminate(): void;
}

export class ClientChannel {
  private readonly systems = new Map<string, SystemView>();
  private readonly peers = new Map<string, PeerView>();
  private readonly removed = new Set<string>();
  private timeline: TimelineEntry[] = [];
  private dropped = 0;
  private t = 0;
  private inFlight = false;
  /** Frames queued before the next update (hello, reset), sent in order. */
  private readonly control: InspectorMessage[] = [];

  constructor(
    private readonly socket: PageSocket,
    private readonly timelineLimit = 500,
  ) {}

  /**
   * Sends a control frame (hello, reset) before any pending update. A queued frame of the same type
   * is replaced, so a page that seeks faster than it reads queues one reset, not one per seek.
   */
  sendControl(message: InspectorMessage): void {
    const queued = this.control.findIndex((m) => m.type === message.type);
    if (queued >= 0) this.control.splice(queued, 1);
    this.control.push(message);
    this.flush();
  }

  /** Drops everything pending (a replay seek: what was pending is no longer true). */
  clear(): void {
    this.systems.clear();
    this.peers.clear();
    this.removed.clear();
    this.timeline = [];
    this.dropped = 0;
  }

  /** Merges changes into what is pending and sends when the socket is free. */
  push(changes: FeedChanges): void {
    this.t = changes.t;
    for (const key of changes.removed) {
      this.peers.delete(key);
      this.removed.add(key);
    }
    for (const view of changes.systems) this.systems.set(view.id, view);
    for (const view of changes.peers) this.peers.set(view.key, view);
    if (changes.timeline.length > 0) {
      this.timeline.push(...changes.timeline);
      const over = this.timeline.length - this.timelineLimit;
      if (over > 0) {
        this.timeline.splice(0, over);
        this.dropped += over;
      }
    }
    this.flush();
  }

  private flush(): void {
    if (this.inFlight || this.socket.readyState !== this.socket.OPEN) return;
    let message = this.control.shift();
    if (!message) {
      if (
        this.systems.size === 0 &&
        this.peers.size === 0 &&
        this.removed.size === 0 &&
        this.timeline.length === 0
      )
        return;
      message = {
        type: 'update',
        t: this.t,
        removed: [...this.removed],
        systems: [...this.systems.values()],
        peers: [...this.peers.values()],
        timeline: this.timeline,
        dropped: this.dropped,
      };
      this.clear();
    }
    this.inFlight = true;
    // The callback runs once the frame is handed to the OS: until then nothing else is queued.
    this.socket.send(JSON.stringify(message), (error) => {
      this.inFlight = false;
      if (error) this.socket.terminate();
      else this.flush();
    });
  }
}
