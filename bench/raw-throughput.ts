/**
 * One raw throughput run: the baseline a user would hand-write with @roamhq/wrtc. Two
 * RTCPeerConnections in this process, signaled directly (no server: setup is not timed), with the
 * same negotiated, ordered data channel as peerstate's; the sender applies the same backpressure as
 * peerstate's wrtc binding: it sends while `bufferedAmount` is below the high-water mark, then polls
 * `bufferedAmount` every `pollIntervalMs` until it is at or below the low-water mark (wrtc 0.10 has
 * no `bufferedamountlow`). Timed from the first `dc.send` to the receiver having every byte.
 */
import wrtc from '@roamhq/wrtc';
import { within } from './deadline.js';

/** What one throughput run sends and how (shared by the raw and the peerstate run). */
export interface ThroughputRunOptions {
  /** Messages to send. */
  messages: number;
  /** Bytes per message. */
  messageBytes: number;
  /** Sending pauses at this `bufferedAmount`, in bytes. */
  highWaterMark: number;
  /** Sending resumes at this `bufferedAmount`, in bytes. */
  lowWaterMark: number;
  /** Poll period of `bufferedAmount` while paused, in ms. */
  pollIntervalMs: number;
  /** Bound of the transfer, in ms. */
  timeoutMs: number;
  /** Bound of the setup (connect, channel open), in ms. */
  setupTimeoutMs: number;
}

/** What one run measured. */
export interface ThroughputSample {
  /** Time from the first send to the last byte received, in ms (performance.now()). */
  ms: number;
  /** Payload bytes received (= messages × messageBytes). */
  bytes: number;
  /** Payload MiB per second. */
  mibPerSecond: number;
}

/** The payload every run sends: `messageBytes` of a fixed pattern, the same buffer every time. */
export function payloadOf(messageBytes: number): Uint8Array {
  const payload = new Uint8Array(messageBytes);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  return payload;
}

/** A sample from a byte count and a duration. */
export function sampleOf(bytes: number, ms: number): ThroughputSample {
  return { ms, bytes, mibPerSecond: bytes / (1024 * 1024) / (ms / 1000) };
}

/** Resolves when `channel` is open (now or later). */
function opened(channel: RTCDataChannel): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve) => {
    channel.addEventListener('open', () => resolve(), { once: true });
  });
}

/**
 * Connects two wrtc peers in this process and resolves with their channels (negotiated, id 0,
 * ordered, like peerstate's). Candidates are handed over directly.
 */
async function connectPair(
  pcs: RTCPeerConnection[],
  timeoutMs: number,
): Promise<{ sender: RTCDataChannel; receiver: RTCDataChannel }> {
  const a = new wrtc.RTCPeerConnection({ iceServers: [] });
  pcs.push(a);
  const b = new wrtc.RTCPeerConnection({ iceServers: [] });
  pcs.push(b);
  const sender = a.createDataChannel('peerstate', { negotiated: true, id: 0, ordered: true });
  const receiver = b.createDataChannel('peerstate', { negotiated: true, id: 0, ordered: true });
  sender.binaryType = 'arraybuffer';
  receiver.binaryType = 'arraybuffer';
  const both = Promise.all([opened(sender), opened(receiver)]);
  const errors: string[] = [];
  const fail = (error: unknown) => errors.push(error instanceof Error ? error.message : String(error));
  // Remote candidates wait for the remote description (addIceCandidate before it rejects on wrtc).
  const trickle = (from: RTCPeerConnection, to: RTCPeerConnection, ready: Promise<unknown>) => {
    from.onicecandidate = ({ candidate }) => {
      if (candidate?.candidate) ready.then(() => to.addIceCandidate(candidate)).catch(fail);
    };
  };
  let bReady: () => void = () => {};
  let aReady: () => void = () => {};
  trickle(a, b, new Promise<void>((resolve) => (bReady = resolve)));
  trickle(b, a, new Promise<void>((resolve) => (aReady = resolve)));
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(offer);
  bReady();
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(answer);
  aReady();
  await within(both, timeoutMs, 'raw: channels open', () =>
    [`A ${a.connectionState}/${sender.readyState}`, `B ${b.connectionState}`, ...errors].join('; '),
  );
  return { sender, receiver };
}

/**
 * Runs once: connects a raw pair, sends `messages` × `messageBytes` with high/low-water-mark
 * backpressure, and resolves with the time to the last byte. Rejects with a DeadlineError past a
 * timeout, or if the receiver sees more bytes than were sent; the pcs are closed either way.
 */
export async function rawThroughput(options: ThroughputRunOptions): Promise<ThroughputSample> {
  const { messages, messageBytes, highWaterMark, lowWaterMark, pollIntervalMs } = options;
  const total = messages * messageBytes;
  const payload = payloadOf(messageBytes);
  const pcs: RTCPeerConnection[] = [];
  let poll: ReturnType<typeof setInterval> | undefined;
  try {
    const { sender, receiver } = await connectPair(pcs, options.setupTimeoutMs);

    let received = 0;
    let stoppedAt = 0;
    const done = new Promise<void>((resolve, reject) => {
      receiver.onmessage = (event: MessageEvent) => {
        received += (event.data as ArrayBuffer).byteLength;
        if (received === total) {
          stoppedAt = performance.now();
          resolve();
        } else if (received > total) reject(new Error(`raw: received ${received} of ${total} bytes`));
      };
    });

    let sent = 0;
    let sendError: unknown;
    /** Sends while below the high-water mark; then polls until the low-water mark. */
    const pump = (): void => {
      try {
        while (sent < messages) {
          if (sender.bufferedAmount >= highWaterMark) {
            poll = setInterval(() => {
              if (sender.bufferedAmount > lowWaterMark) return;
              clearInterval(poll);
              poll = undefined;
              pump();
            }, pollIntervalMs);
            return;
          }
          sender.send(payload as Uint8Array<ArrayBuffer>);
          sent++;
        }
      } catch (error) {
        sendError = error;
      }
    };
    const start = performance.now();
    pump();
    await within(done, options.timeoutMs, 'raw: transfer', () =>
      [
        `sent ${sent}/${messages} messages`,
        `received ${received}/${total} bytes`,
        `bufferedAmount ${sender.bufferedAmount}`,
        ...(sendError ? [`send threw: ${String(sendError)}`] : []),
      ].join('; '),
    );
    return sampleOf(total, stoppedAt - start);
  } finally {
    if (poll !== undefined) clearInterval(poll);
    for (const pc of pcs) pc.close();
  }
}
