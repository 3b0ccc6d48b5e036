/**
 * Measures, on a real WebRTC stack in this process, each capability an `RtcProfile`
 * (src/rtc/profile.ts) declares: two RTCPeerConnections of the stack talk to each other directly
 * (descriptions and candidates handed over in memory, no signaling server), so what is measured is
 * the stack itself. Used by the conformance tests in test/stacks/.
 */
import { ufragOf } from '../../src/protocol/sdp.js';
import type { RtcImplementation } from '../../src/rtc/binding.js';
import type {
  RTCDataChannel,
  RTCIceCandidateInit,
  RTCPeerConnection,
  RTCSessionDescriptionInit,
} from '../../src/rtc/webrtc-types.js';

/** What one stack was measured to do; each field is the `RtcProfile` field of the same name. */
export interface MeasuredCapabilities {
  /** setRemoteDescription(offer) in `have-local-offer` rolled the local offer back by itself. */
  implicitRollback: boolean;
  /** setLocalDescription() with no argument made the offer, and on the other side the answer. */
  parameterlessSetLocalDescription: boolean;
  /** An ICE restart offer carried a new ufrag and messages flowed both ways after it was answered. */
  iceRestartRestoresDataFlow: boolean;
  /** The sender's `bufferedamountlow` reached an `addEventListener` listener once the queue drained. */
  hasBufferedAmountLow: boolean;
  /** The SCTP transport's `maxMessageSize` once connected, in bytes; null when the stack has none. */
  maxMessageSize: number | null;
}

type Pc = RTCPeerConnection & { readonly localDescription: RTCSessionDescriptionInit | null };

/** How long one step (a connection, a message) may take before the measurement gives up, in ms. */
const STEP_TIMEOUT_MS = 15_000;
/** How long messages are sent after an ICE restart before it counts as not restoring data flow, in ms. */
const AFTER_RESTART_MS = 8_000;

function newPc(rtc: RtcImplementation): Pc {
  return new rtc.RTCPeerConnection({ iceServers: [] }) as Pc;
}

/** Resolves when `check()` holds, polling every 20 ms; false after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Two connected pcs of one stack, each with the negotiated channel peerstate uses, and what arrived. */
interface Pair {
  a: Pc;
  b: Pc;
  channelA: RTCDataChannel;
  channelB: RTCDataChannel;
  /** Messages that arrived at a and at b, in order. */
  receivedA: unknown[];
  receivedB: unknown[];
  /** Negotiates offer (a) / answer (b) explicitly; `iceRestart` asks for new ICE credentials. */
  negotiate(iceRestart: boolean): Promise<RTCSessionDescriptionInit>;
  close(): void;
}

/**
 * Connects two pcs of `rtc` with trickle ICE in memory. Candidates wait until the receiving pc has a
 * remote description (wrtc rejects them before).
 * @throws Error when the channels are not open within STEP_TIMEOUT_MS.
 */
async function connectPair(rtc: RtcImplementation): Promise<Pair> {
  const a = newPc(rtc);
  const b = newPc(rtc);
  const init = { negotiated: true, id: 0, ordered: true };
  const channelA = a.createDataChannel('peerstate', init);
  const channelB = b.createDataChannel('peerstate', init);
  channelA.binaryType = 'arraybuffer';
  channelB.binaryType = 'arraybuffer';
  const receivedA: unknown[] = [];
  const receivedB: unknown[] = [];
  channelA.onmessage = (event) => receivedA.push(event.data);
  channelB.onmessage = (event) => receivedB.push(event.data);
  const trickle = (from: Pc, to: Pc) => {
    const waiting: RTCIceCandidateInit[] = [];
    let ready = false;
    from.onicecandidate = (event) => {
      const c = event.candidate;
      if (!c?.candidate) return;
      const candidate = { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
      if (ready) to.addIceCandidate(candidate).catch(() => {});
      else waiting.push(candidate);
    };
    return () => {
      ready = true;
      for (const candidate of waiting.splice(0)) to.addIceCandidate(candidate).catch(() => {});
    };
  };
  const toB = trickle(a, b);
  const toA = trickle(b, a);
  const negotiate = async (iceRestart: boolean) => {
    const offer = await a.createOffer(iceRestart ? { iceRestart: true } : undefined);
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    toB();
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    toA();
    return offer;
  };
  const close = () => {
    for (const pc of [a, b]) {
      pc.onicecandidate = null;
      try {
        pc.close();
      } catch {
        // Already closed.
      }
    }
  };
  await negotiate(false);
  const open = await until(
    () => channelA.readyState === 'open' && channelB.readyState === 'open',
    STEP_TIMEOUT_MS,
  );
  if (!open) {
    close();
    throw new Error(`${rtc.name}: the data channels did not open within ${STEP_TIMEOUT_MS} ms`);
  }
  return { a, b, channelA, channelB, receivedA, receivedB, negotiate, close };
}

/** Runs `measure` on a fresh pair and closes it afterwards. */
async function withPair<T>(rtc: RtcImplementation, measure: (pair: Pair) => Promise<T>): Promise<T> {
  const pair = await connectPair(rtc);
  try {
    return await measure(pair);
  } finally {
    pair.close();
  }
}

/** Whether setRemoteDescription(offer) in `have-local-offer` succeeds (webrtc-pc §4.4.1.5's implicit rollback). */
async function measureImplicitRollback(rtc: RtcImplementation): Promise<boolean> {
  const a = newPc(rtc);
  const b = newPc(rtc);
  try {
    a.createDataChannel('a');
    b.createDataChannel('b');
    await a.setLocalDescription(await a.createOffer());
    const offer = await b.createOffer();
    await a.setRemoteDescription(offer);
    return a.signalingState === 'have-remote-offer';
  } catch {
    return false;
  } finally {
    a.close();
    b.close();
  }
}

/** Whether setLocalDescription() makes the offer, and then on the answering side the answer. */
async function measureParameterlessSetLocalDescription(rtc: RtcImplementation): Promise<boolean> {
  const a = newPc(rtc);
  const b = newPc(rtc);
  try {
    a.createDataChannel('a');
    await a.setLocalDescription();
    const offer = a.localDescription;
    if (offer?.type !== 'offer') return false;
    await b.setRemoteDescription({ type: 'offer', sdp: offer.sdp ?? '' });
    await b.setLocalDescription();
    return b.localDescription?.type === 'answer';
  } catch {
    return false;
  } finally {
    a.close();
    b.close();
  }
}

/**
 * Whether an ICE restart renegotiated on a connected pair keeps messages flowing: the offer must carry
 * a new ufrag (RFC 8839 §4.4.1.1.1), and a message sent each way every 100 ms after the answer
 * must arrive within AFTER_RESTART_MS.
 */
async function measureIceRestart(rtc: RtcImplementation): Promise<boolean> {
  return withPair(rtc, async (pair) => {
    const before = ufragOf(pair.a.localDescription?.sdp ?? '');
    const offer = await pair.negotiate(true);
    if (ufragOf(offer.sdp ?? '') === before) return false;
    const fromA = pair.receivedB.length;
    const fromB = pair.receivedA.length;
    let n = 0;
    const sender = setInterval(() => {
      n += 1;
      try {
        if (pair.channelA.readyState === 'open') pair.channelA.send(`a${n}`);
        if (pair.channelB.readyState === 'open') pair.channelB.send(`b${n}`);
      } catch {
        // A channel that throws carries nothing: the wait below says so.
      }
    }, 100);
    try {
      return await until(
        () => pair.receivedB.length > fromA && pair.receivedA.length > fromB,
        AFTER_RESTART_MS,
      );
    } finally {
      clearInterval(sender);
    }
  });
}

/**
 * Whether `bufferedamountlow` reaches an `addEventListener` listener: 64 KiB messages are sent with a
 * 64 KiB threshold until `bufferedAmount` is above it (libdatachannel hands much to SCTP at once,
 * so a fixed amount may never queue), at most 8 MiB; then the queue is watched until it drained and
 * every message arrived, so a missing event is not a slow one.
 * @throws Error when nothing queued above the threshold or the messages did not arrive.
 */
async function measureBufferedAmountLow(rtc: RtcImplementation): Promise<boolean> {
  return withPair(rtc, async (pair) => {
    const threshold = 64 * 1024;
    let fired = 0;
    pair.channelA.bufferedAmountLowThreshold = threshold;
    pair.channelA.addEventListener('bufferedamountlow', () => {
      fired += 1;
    });
    let sent = 0;
    while (pair.channelA.bufferedAmount <= threshold && sent < 128) {
      pair.channelA.send(new Uint8Array(64 * 1024));
      sent += 1;
    }
    if (pair.channelA.bufferedAmount <= threshold)
      throw new Error(`${rtc.name}: bufferedAmount stayed at or below ${threshold} after ${sent} sends`);
    const drained = await until(
      () => pair.receivedB.length === sent && pair.channelA.bufferedAmount <= threshold,
      STEP_TIMEOUT_MS,
    );
    if (!drained)
      throw new Error(`${rtc.name}: ${sent} messages did not arrive within ${STEP_TIMEOUT_MS} ms`);
    // An event already queued when the last message arrived is still delivered.
    await until(() => fired > 0, 500);
    return fired > 0;
  });
}

/**
 * The SCTP transport's `maxMessageSize` once connected (webrtc-pc §6.1.1), checked by sending a
 * message of that size (at most 256 KiB, the binding's cap) and seeing it arrive whole.
 * @throws Error when the stack reports a size that does not get through.
 */
async function measureMaxMessageSize(rtc: RtcImplementation): Promise<number | null> {
  return withPair(rtc, async (pair) => {
    const reported = pair.a.sctp?.maxMessageSize;
    const size = reported !== undefined && Number.isFinite(reported) && reported > 0 ? reported : null;
    const bytes = Math.min(size ?? 65_536, 262_144);
    pair.channelA.send(new Uint8Array(bytes));
    const arrived = await until(() => pair.receivedB.length > 0, STEP_TIMEOUT_MS);
    const got = pair.receivedB[0];
    const length =
      got instanceof ArrayBuffer ? got.byteLength : ArrayBuffer.isView(got) ? got.byteLength : -1;
    if (!arrived || length !== bytes)
      throw new Error(`${rtc.name}: a ${bytes}-byte message did not arrive whole (got ${length})`);
    return size;
  });
}

/** Measures every capability of `rtc`, one at a time (each on pcs of its own). */
export async function measureCapabilities(rtc: RtcImplementation): Promise<MeasuredCapabilities> {
  return {
    implicitRollback: await measureImplicitRollback(rtc),
    parameterlessSetLocalDescription: await measureParameterlessSetLocalDescription(rtc),
    iceRestartRestoresDataFlow: await measureIceRestart(rtc),
    hasBufferedAmountLow: await measureBufferedAmountLow(rtc),
    maxMessageSize: await measureMaxMessageSize(rtc),
  };
}
