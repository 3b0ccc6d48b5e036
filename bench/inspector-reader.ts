/**
 * The inspector attached to a bench's peer systems, with one page reading it: a WebSocket client on
 * 127.0.0.1 that takes every frame as the browser page would (without drawing), so that the bench
 * measures the feed, its throttled views and their JSON on the wire.
 */
import { WebSocket } from 'ws';
import type { PeerSystem } from '../src/node/index.js';
import { startInspector } from '../src/node/index.js';

/** A running inspector and its reader. */
export interface InspectorReader {
  /** Frames and bytes the reader got so far. */
  readonly frames: number;
  readonly bytes: number;
  /** Closes the reader and the inspector. */
  close(): Promise<void>;
}

/** Starts the inspector on `systems` and connects one reader; resolves once the reader is connected. */
export async function readInspector(systems: readonly PeerSystem[]): Promise<InspectorReader> {
  const inspector = await startInspector({ systems });
  const origin = inspector.url.replace(/\/$/, '');
  const socket = new WebSocket(`${origin.replace('http', 'ws')}/ws`, { origin });
  let frames = 0;
  let bytes = 0;
  socket.on('message', (data: Buffer) => {
    frames++;
    bytes += data.length;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
  } catch (error) {
    await inspector.close();
    throw error;
  }
  return {
    get frames() {
      return frames;
    },
    get bytes() {
      return bytes;
    },
    async close() {
      socket.close();
      await inspector.close();
    },
  };
}
