/**
 * Slow readers against the embedded signaling server on 127.0.0.1 (docs/security.md): a raw `ws`
 * client that joins and then never reads, while it sends unsolicited pongs, and an accomplice that
 * relays the largest signals the protocol allows to it. What must hold: the server holds at most
 * `maxBufferedBytes` for the reader and then terminates it (refusal `slow-reader`); a reader that
 * does not read the pings is terminated however many pongs it sends (refusal `missed-pong`); honest
 * clients stay open. Byte and count bounds only; the RSS before and after is measured by
 * bench/server-slow-reader.ts.
 */
import { afterEach, expect, it } from 'vitest';
import { LIMITS, type Signal } from '../../src/protocol/signals.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { signalingClients } from '../support/signaling-client.js';

let server: SignalingServer;
const clients = signalingClients();

afterEach(async () => {
  clients.terminateAll();
  await server.close();
});

/** The largest signal a frame may carry (an SDP of `LIMITS.maxSdpChars`). */
const bigOffer: Signal = {
  type: 'description',
  description: { type: 'offer', sdp: 'a'.repeat(LIMITS.maxSdpChars) },
};

it('a reader that never reads is terminated once its unsent bytes would pass maxBufferedBytes', async () => {
  const maxBufferedBytes = 256 * 1024;
  server = await startSignalingServer({ log: () => {}, maxBufferedBytes, maxFramesPerSecond: 100_000 });
  const sink = await clients.join(server.url, 'r', 'sink');
  const accomplice = await clients.join(server.url, 'r', 'accomplice');
  const honest = await clients.join(server.url, 'r', 'honest');
  sink.client.socket.pause();
  let sinkClosed = false;
  void sink.client.closed.then(() => {
    sinkClosed = true;
  });
  // 2,000 signals of 48 KiB are 96 MiB: far more than the kernel's socket buffers and the mark.
  let sent = 0;
  let mostBuffered = 0;
  while (!sinkClosed && sent < 2_000) {
    accomplice.client.send({ v: 1, type: 'signal', to: 'sink', signal: bigOffer });
    sent += 1;
    sink.client.socket.pong();
    if (sent % 10 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      mostBuffered = Math.max(mostBuffered, server.stats().bufferedBytes);
      if (server.stats().refused['slow-reader'] > 0) break;
    }
  }
  expect(server.stats().refused['slow-reader']).toBe(1);
  expect(mostBuffered).toBeLessThanOrEqual(maxBufferedBytes);
  expect(sent).toBeLessThan(2_000);
  // The others are untouched: a signal still goes from the accomplice to the honest client.
  accomplice.client.send({ v: 1, type: 'signal', to: 'honest', signal: { type: 'hello' } });
  let frame = await honest.client.next();
  while (frame.type === 'presence') frame = await honest.client.next();
  expect(frame).toEqual({ v: 1, type: 'signal', from: 'accomplice', signal: { type: 'hello' } });
});

it('a client that sends pongs but never reads the pings is terminated as missed-pong', async () => {
  server = await startSignalingServer({ log: () => {}, pingIntervalMs: 30 });
  const liar = await clients.join(server.url, 'r', 'liar');
  const honest = await clients.join(server.url, 'r', 'honest');
  liar.client.socket.pause();
  // Unsolicited pongs, with a payload and without, until it is closed (bounded by the loop).
  for (let i = 0; i < 10_000 && liar.client.socket.readyState === liar.client.socket.OPEN; i++) {
    liar.client.socket.pong(i % 2 === 0 ? Buffer.alloc(8) : undefined);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect((await liar.client.closed).code).toBe(1006);
  expect(server.stats().refused['missed-pong']).toBe(1);
  expect(honest.client.socket.readyState).toBe(honest.client.socket.OPEN);
});
