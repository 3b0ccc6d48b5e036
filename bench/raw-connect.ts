/**
 * One raw connect run: the baseline a user would hand-write with @roamhq/wrtc and `ws` over the
 * same signaling server and wire protocol (join/welcome, then relayed `signal` frames), with the
 * same negotiated data channel as peerstate's. Timed from creating the offering RTCPeerConnection
 * to the first echoed message.
 */
import wrtc from '@roamhq/wrtc';
import { type RawData, WebSocket } from 'ws';
import { within } from './deadline.js';
import type { ConnectRunOptions } from './peerstate-connect.js';

/** RTCIceCandidateInit as the protocol carries it; null is end-of-candidates. */
export type WireCandidate = {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
  usernameFragment: string | null;
} | null;

export type WireSignal =
  | { type: 'description'; description: { type: 'offer' | 'answer'; sdp: string } }
  | { type: 'candidate'; candidate: WireCandidate };

/** One side's signaling socket: joined, with a handler for relayed signals. */
export interface Side {
  id: string;
  socket: WebSocket;
  onSignal: (from: string, signal: WireSignal) => void;
  /** Server errors and socket closes after `welcome`, for the timeout message. */
  problems: string[];
}

/** Opens a socket, joins `room` as `peerId` and resolves on `welcome`. */
export function join(
  url: string,
  room: string,
  peerId: string,
  timeoutMs: number,
  sockets: WebSocket[],
): Promise<Side> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const side: Side = { id: peerId, socket, onSignal: () => {}, problems: [] };
  const welcomed = new Promise<Side>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', (code) => {
      side.problems.push(`${peerId}: socket closed (${code})`);
      reject(new Error(`raw ${peerId}: socket closed (${code}) before welcome`));
    });
    socket.on('open', () => socket.send(JSON.stringify({ v: 1, type: 'join', room, peerId })));
    socket.on('message', (data: RawData) => {
      let frame: { type?: string; [key: string]: unknown };
      try {
        frame = JSON.parse(data.toString());
      } catch {
        reject(new Error(`raw ${peerId}: the server sent a frame that is not JSON`));
        return;
      }
      if (frame.type === 'welcome') resolve(side);
      else if (frame.type === 'signal') side.onSignal(frame.from as string, frame.signal as WireSignal);
      else if (frame.type === 'error') {
        side.problems.push(`${peerId}: server error ${frame.code}: ${frame.message}`);
        reject(new Error(`raw ${peerId}: server error ${frame.code}: ${frame.message}`));
      }
    });
  });
  return within(welcomed, timeoutMs, `raw ${peerId}: welcome`);
}

export function sendSignal(from: Side, to: string, signal: WireSignal): void {
  from.socket.send(JSON.stringify({ v: 1, type: 'signal', to, signal }));
}

/** A new pc with the negotiated channel, trickling its candidates to `to`. */
function createPeer(side: Side, to: string): { pc: RTCPeerConnection; channel: RTCDataChannel } {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const channel = pc.createDataChannel('peerstate', { negotiated: true, id: 0 });
  pc.onicecandidate = ({ candidate: c }) => {
    const candidate: WireCandidate = c?.candidate
      ? {
          candidate: c.candidate,
          sdpMid: c.sdpMid ?? null,
          sdpMLineIndex: c.sdpMLineIndex ?? null,
          usernameFragment: c.usernameFragment ?? null,
        }
      : null;
    sendSignal(side, to, { type: 'candidate', candidate });
  };
  return { pc, channel };
}

/**
 * Remote candidates, buffered until the remote description is set (as any working hand-written
 * code must: addIceCandidate before setRemoteDescription fails).
 */
class CandidateQueue {
  private buffered: WireCandidate[] = [];
  private pc: RTCPeerConnection | undefined;

  constructor(private readonly onError: (error: unknown) => void) {}

  add(candidate: WireCandidate): void {
    if (this.pc) this.apply(this.pc, candidate);
    else this.buffered.push(candidate);
  }

  /** The remote description of `pc` is set: apply what waited, then apply directly. */
  ready(pc: RTCPeerConnection): void {
    this.pc = pc;
    for (const candidate of this.buffered) this.apply(pc, candidate);
    this.buffered = [];
  }

  private apply(pc: RTCPeerConnection, candidate: WireCandidate): void {
    (candidate ? pc.addIceCandidate(candidate) : pc.addIceCandidate()).catch(this.onError);
  }
}

/** Closes a socket and resolves once it is closed (or after `timeoutMs`, ms). */
export function closeSocket(socket: WebSocket, timeoutMs: number): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.close(1000, 'done');
  return within(closed, timeoutMs, 'raw: socket close');
}

/**
 * Runs once and resolves with the time from creating A's RTCPeerConnection to the echo of `'ping'`,
 * in ms (performance.now()). Setup (both sockets joined) and teardown are not timed. Rejects with a
 * DeadlineError if any wait exceeds `timeoutMs`; pcs and sockets are closed either way.
 */
export async function rawConnectMs(options: ConnectRunOptions): Promise<number> {
  const { url, room, aId, bId, timeoutMs } = options;
  const sockets: WebSocket[] = [];
  const pcs: RTCPeerConnection[] = [];
  const errors: string[] = [];
  const fail = (who: string) => (error: unknown) =>
    errors.push(`${who}: ${error instanceof Error ? error.message : String(error)}`);
  try {
    // Same join order as the peerstate run: B first.
    const b = await join(url, room, bId, timeoutMs, sockets);
    const a = await join(url, room, aId, timeoutMs, sockets);

    // B: answers an offer, echoes every message.
    const bCandidates = new CandidateQueue(fail(bId));
    b.onSignal = (from, signal) => {
      if (signal.type === 'candidate') {
        bCandidates.add(signal.candidate);
        return;
      }
      if (signal.description.type !== 'offer') return;
      const { pc, channel } = createPeer(b, from);
      pcs.push(pc);
      channel.onmessage = (event) => channel.send(event.data);
      (async () => {
        await pc.setRemoteDescription(signal.description);
        bCandidates.ready(pc);
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        sendSignal(b, from, { type: 'description', description: { type: 'answer', sdp: answer.sdp ?? '' } });
      })().catch(fail(bId));
    };

    // A: offers, sends 'ping' when the channel opens, stops the clock at the echo.
    const aCandidates = new CandidateQueue(fail(aId));
    let stoppedAt = 0;
    const start = performance.now();
    const { pc, channel } = createPeer(a, bId);
    pcs.push(pc);
    const echoed = new Promise<void>((resolve) => {
      channel.onopen = () => channel.send('ping');
      channel.onmessage = () => {
        stoppedAt = performance.now();
        resolve();
      };
    });
    a.onSignal = (_from, signal) => {
      if (signal.type === 'candidate') aCandidates.add(signal.candidate);
      else if (signal.description.type === 'answer') {
        pc.setRemoteDescription(signal.description).then(() => aCandidates.ready(pc), fail(aId));
      }
    };
    (async () => {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      sendSignal(a, bId, { type: 'description', description: { type: 'offer', sdp: offer.sdp ?? '' } });
    })().catch(fail(aId));
    await within(echoed, timeoutMs, `raw ${aId} → ${bId}: echo`, () =>
      [`A ${pc.connectionState}/${channel.readyState}`, ...errors, ...a.problems, ...b.problems].join('; '),
    );
    return stoppedAt - start;
  } finally {
    for (const pc of pcs) pc.close();
    await Promise.all(sockets.map((s) => closeSocket(s, timeoutMs)));
  }
}
