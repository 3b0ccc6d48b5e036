/**
 * One simple-peer 9.11.1 connect run: the library most users would pick instead of peerstate, on
 * the same @roamhq/wrtc stack, ICE configuration (no STUN servers) and signaling server as the raw
 * and peerstate runs. simple-peer's signal objects are carried as the protocol's `description` and
 * `candidate` signals. Timed from creating the initiator to the first echoed message.
 */
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import type { WebSocket } from 'ws';
import { within } from './deadline.js';
import type { ConnectRunOptions } from './peerstate-connect.js';
import { closeSocket, join, type Side, sendSignal, type WireSignal } from './raw-connect.js';

/**
 * The fields of simple-peer's signal data this run uses: a description, or a candidate in the shape
 * simple-peer emits and takes (its published types call it an RTCIceCandidate).
 */
interface PeerSignal {
  type?: string;
  sdp?: string;
  candidate?: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };
}

/** simple-peer's signal data as the wire protocol carries it; null for what the protocol has no frame for. */
function toWire(data: PeerSignal): WireSignal | null {
  if ((data.type === 'offer' || data.type === 'answer') && data.sdp)
    return { type: 'description', description: { type: data.type, sdp: data.sdp } };
  if (data.candidate) {
    const { candidate, sdpMid, sdpMLineIndex } = data.candidate;
    return {
      type: 'candidate',
      candidate: {
        candidate,
        sdpMid: sdpMid ?? null,
        sdpMLineIndex: sdpMLineIndex ?? null,
        usernameFragment: null,
      },
    };
  }
  return null;
}

/** The wire signal as simple-peer's signal data (end-of-candidates has none: simple-peer does not use it). */
function fromWire(signal: WireSignal): PeerSignal | null {
  if (signal.type === 'description') return signal.description;
  if (!signal.candidate) return null;
  const { candidate, sdpMid, sdpMLineIndex } = signal.candidate;
  return { type: 'candidate', candidate: { candidate, sdpMid, sdpMLineIndex } };
}

/** A simple-peer instance whose signals go to `to` through `side`'s socket. */
function createPeer(side: Side, to: string, initiator: boolean, errors: string[]): SimplePeer.Instance {
  const peer = new SimplePeer({ initiator, wrtc, trickle: true, config: { iceServers: [] } });
  peer.on('signal', (data: PeerSignal) => {
    const wire = toWire(data);
    if (wire) sendSignal(side, to, wire);
  });
  peer.on('error', (error: Error) => errors.push(`${side.id}: ${error.message}`));
  side.onSignal = (_from, signal) => {
    const data = fromWire(signal);
    if (data) peer.signal(data as SimplePeer.SignalData);
  };
  return peer;
}

/**
 * Runs once and resolves with the time from creating A's simple-peer (the initiator) to the echo of
 * `'ping'`, in ms (performance.now()). Setup (both sockets joined) and teardown are not timed.
 * Rejects with a DeadlineError if any wait exceeds `timeoutMs`; peers and sockets are closed either way.
 */
export async function simplePeerConnectMs(options: ConnectRunOptions): Promise<number> {
  const { url, room, aId, bId, timeoutMs } = options;
  const sockets: WebSocket[] = [];
  const peers: SimplePeer.Instance[] = [];
  const errors: string[] = [];
  try {
    const b = await join(url, room, bId, timeoutMs, sockets);
    const a = await join(url, room, aId, timeoutMs, sockets);
    const echo = createPeer(b, aId, false, errors);
    peers.push(echo);
    echo.on('data', (data: Uint8Array) => echo.send(data));

    let stoppedAt = 0;
    const start = performance.now();
    const peer = createPeer(a, bId, true, errors);
    peers.push(peer);
    const echoed = new Promise<void>((resolve) => {
      peer.on('connect', () => peer.send('ping'));
      peer.on('data', () => {
        stoppedAt = performance.now();
        resolve();
      });
    });
    await within(echoed, timeoutMs, `simple-peer ${aId} → ${bId}: echo`, () =>
      [...errors, ...a.problems, ...b.problems].join('; '),
    );
    return stoppedAt - start;
  } finally {
    for (const peer of peers) peer.destroy();
    await Promise.all(sockets.map((s) => closeSocket(s, timeoutMs)));
  }
}
