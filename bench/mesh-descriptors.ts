/**
 * File descriptors of a mesh: the process's limit (`Max open files` of /proc/self/limits, what
 * `ulimit -n` sets), the descriptors open now (/proc/self/fd) and what one connected @roamhq/wrtc
 * RTCPeerConnection holds, measured on a loopback pair. A mesh that would cross the limit is refused
 * before it starts: past it, wrtc aborts in native code (`epoll_create: Too many open files`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import wrtc from '@roamhq/wrtc';
import { within } from './deadline.js';

/** A mesh would need more file descriptors than the process may open. */
export class DescriptorLimitError extends Error {
  override name = 'DescriptorLimitError';
  readonly code = 'descriptor-limit';
  constructor(
    /** Descriptors the mesh is estimated to need on top of those open now. */
    readonly needed: number,
    /** Descriptors still free under the soft limit. */
    readonly available: number,
    /** The soft limit (`ulimit -n`). */
    readonly limit: number,
  ) {
    super(
      `the mesh needs about ${needed} more file descriptors, ${available} are free under the limit of ` +
        `${limit} (ulimit -n); raise it or use fewer peers`,
    );
  }
}

/** The soft limit of open files of this process, or Infinity where /proc is not there or says unlimited. */
export function descriptorLimit(): number {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/** Descriptors this process has open now (0 where /proc is not there). */
export function openDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * Descriptors one connected RTCPeerConnection holds: a loopback pair is connected (channel open),
 * counted, and closed.
 */
export async function descriptorsPerPeerConnection(timeoutMs: number): Promise<number> {
  const before = openDescriptors();
  const a = new wrtc.RTCPeerConnection({ iceServers: [] });
  const b = new wrtc.RTCPeerConnection({ iceServers: [] });
  try {
    const channel = a.createDataChannel('probe', { negotiated: true, id: 0 });
    b.createDataChannel('probe', { negotiated: true, id: 0 });
    a.onicecandidate = ({ candidate }) => candidate && b.addIceCandidate(candidate).catch(() => {});
    b.onicecandidate = ({ candidate }) => candidate && a.addIceCandidate(candidate).catch(() => {});
    const open = new Promise<void>((resolve) => {
      channel.onopen = () => resolve();
    });
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    await within(open, timeoutMs, 'descriptor probe: channel open');
    return (openDescriptors() - before) / 2;
  } finally {
    a.close();
    b.close();
  }
}

/**
 * In a mesh, a pc held 2–2.5 times the descriptors of the probe pair's (16 peers on wrtc: 9,900–11,600
 * open for 240 pcs, probe 20–22): candidates of many pcs checked at once, sockets not yet released.
 */
const MESH_FACTOR = 2.5;

/**
 * Refuses a mesh of `peerConnections` pcs (`perPc` descriptors each as the probe measured, times
 * the mesh factor, plus `extra` for sockets) that would not fit under the soft limit with a 10% margin.
 * @throws DescriptorLimitError if it would not fit.
 */
export function assertDescriptorBudget(peerConnections: number, perPc: number, extra: number): void {
  const limit = descriptorLimit();
  const needed = Math.ceil((peerConnections * perPc * MESH_FACTOR + extra) * 1.1);
  const available = limit - openDescriptors();
  if (needed > available) throw new DescriptorLimitError(needed, available, limit);
}
