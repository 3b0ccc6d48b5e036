/**
 * The raw baseline of the mesh bench: the full mesh a user would hand-write with @roamhq/wrtc, every
 * link started at once but at most `limit` negotiating at a time (a hand-tuned semaphore; unbounded,
 * a 16-peer mesh runs out of descriptors and connects nothing). Signals go from pc to pc in the same
 * process, with no signaling server: that favours raw, so the ratio against it is conservative.
 */
import wrtc from '@roamhq/wrtc';
import { within } from './deadline.js';
import { openDescriptors } from './mesh-descriptors.js';

/** What one raw mesh run measured. */
export interface RawMeshResult {
  /** Links whose channel opened on both sides and carried one message each way. */
  connectedLinks: number;
  /** From the start to the last link's channel open on both sides, in ms. */
  lastLinkMs: number;
  /** Descriptors open once every link was up (the mesh's peak). */
  descriptors: number;
}

/** A link: an offering pc and an answering pc with a negotiated channel, connected and exchanging one message. */
async function rawLink(pcs: RTCPeerConnection[], timeoutMs: number): Promise<() => Promise<void>> {
  const a = new wrtc.RTCPeerConnection({ iceServers: [] });
  const b = new wrtc.RTCPeerConnection({ iceServers: [] });
  pcs.push(a, b);
  const ca = a.createDataChannel('mesh', { negotiated: true, id: 0 });
  const cb = b.createDataChannel('mesh', { negotiated: true, id: 0 });
  // Candidates wait for the remote description, as working hand-written code must.
  const pending = new Map<RTCPeerConnection, RTCIceCandidate[]>([
    [a, []],
    [b, []],
  ]);
  const ready = new Set<RTCPeerConnection>();
  const trickle = (to: RTCPeerConnection) => (event: RTCPeerConnectionIceEvent) => {
    if (!event.candidate) return;
    if (ready.has(to)) to.addIceCandidate(event.candidate).catch(() => {});
    else pending.get(to)?.push(event.candidate);
  };
  const remoteSet = (pc: RTCPeerConnection) => {
    ready.add(pc);
    for (const c of pending.get(pc) ?? []) pc.addIceCandidate(c).catch(() => {});
  };
  a.onicecandidate = trickle(b);
  b.onicecandidate = trickle(a);
  const opened = (channel: RTCDataChannel) =>
    new Promise<void>((resolve) => {
      channel.onopen = () => resolve();
    });
  const bothOpen = Promise.all([opened(ca), opened(cb)]);
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await b.setRemoteDescription(offer);
  remoteSet(b);
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await a.setRemoteDescription(answer);
  remoteSet(a);
  await within(bothOpen, timeoutMs, 'raw mesh: channel open');
  // The exchange is not part of the time to the last link; it is awaited after.
  return async () => {
    const received = (channel: RTCDataChannel) =>
      new Promise<void>((resolve) => {
        channel.onmessage = () => resolve();
      });
    const both = Promise.all([received(ca), received(cb)]);
    ca.send('hi');
    cb.send('hi');
    await within(both, timeoutMs, 'raw mesh: message');
  };
}

/**
 * Connects `peers` × (`peers` − 1) / 2 links, all requested at once, at most `limit` negotiating at a
 * time; then every link exchanges one message each way. Every pc is closed before it resolves.
 */
export async function rawMesh(peers: number, limit: number, timeoutMs: number): Promise<RawMeshResult> {
  const links = (peers * (peers - 1)) / 2;
  const pcs: RTCPeerConnection[] = [];
  const exchanges: (() => Promise<void>)[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < links) {
      next++;
      // A link that did not open is simply not counted.
      exchanges.push(await rawLink(pcs, timeoutMs).catch(() => async () => Promise.reject()));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, links) }, worker));
    const lastLinkMs = performance.now() - start;
    const descriptors = openDescriptors();
    const results = await Promise.allSettled(exchanges.map((exchange) => exchange()));
    const connectedLinks = results.filter((r) => r.status === 'fulfilled').length;
    return { connectedLinks, lastLinkMs, descriptors };
  } finally {
    for (const pc of pcs) pc.close();
  }
}
