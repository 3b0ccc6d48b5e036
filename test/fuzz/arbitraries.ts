/**
 * What a hostile client, server or remote peer may send, as fast-check arbitraries: valid frames,
 * frames one field away from valid, wrong types, oversize strings, and text that is not JSON.
 */
import fc from 'fast-check';
import { LIMITS } from '../../src/protocol/signals.js';

/** Strings around the bounds that matter: empty, short, just over an id, over an SDP, non-ASCII. */
const edgeString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'alice', 'bob', 'a b', '\u0000', '\u{1F600}'),
  fc
    .nat({ max: 3 })
    .map((k) =>
      'x'.repeat([LIMITS.maxIdChars, LIMITS.maxIdChars + 1, LIMITS.maxCandidateChars + 1, 2000][k] ?? 0),
    ),
);

/** A value of any JSON type, small. */
const anyJson = fc.jsonValue({ maxDepth: 2 });

/** A field value: usually of the right kind, sometimes anything. */
const field = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: right }, { weight: 1, arbitrary: anyJson });

const peerId = field(fc.oneof(fc.constantFrom('alice', 'bob', 'carol'), edgeString));
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, Number.NaN));

const description = fc.record(
  {
    type: field(fc.constantFrom('offer', 'answer', 'rollback', 'pranswer')),
    sdp: field(
      fc.oneof(
        edgeString,
        fc.constantFrom('v=0\r\n', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n'),
        fc.nat({ max: 1 }).map((k) => 'a'.repeat(k ? LIMITS.maxSdpChars + 1 : LIMITS.maxSdpChars)),
      ),
    ),
  },
  { requiredKeys: [] },
);

const candidate = fc.option(
  fc.record(
    {
      candidate: field(
        fc.oneof(edgeString, fc.constant('candidate:1 1 udp 2122260223 127.0.0.1 9 typ host')),
      ),
      sdpMid: field(fc.option(edgeString)),
      sdpMLineIndex: field(fc.option(number)),
      usernameFragment: field(fc.option(edgeString)),
    },
    { requiredKeys: [] },
  ),
);

/** A signal as one peer sends another: any of the four types, or another, with fields valid or not. */
export const signal = fc.record(
  {
    type: field(fc.constantFrom('description', 'candidate', 'hello', 'bye', 'offer')),
    description: field(description),
    candidate: field(candidate),
    instance: field(edgeString),
    recipient: field(edgeString),
    connection: field(number),
  },
  { requiredKeys: ['type'] },
);

/** A frame a client could send the server. */
export const clientFrame = fc.record(
  {
    v: field(fc.constantFrom(1, 2)),
    type: field(fc.constantFrom('join', 'signal', 'welcome', 'leave')),
    room: peerId,
    peerId,
    to: peerId,
    signal: field(signal),
  },
  { requiredKeys: ['type'] },
);

/** A frame a server could send a client. */
export const serverFrame = fc.record(
  {
    v: field(fc.constantFrom(1, 2)),
    type: field(fc.constantFrom('welcome', 'presence', 'signal', 'error', 'join')),
    room: peerId,
    peerId,
    from: peerId,
    peers: field(fc.array(peerId, { maxLength: 5 })),
    present: field(fc.boolean()),
    code: field(fc.constantFrom('invalid-frame', 'rate-limited', 'unavailable', 'teapot')),
    message: field(edgeString),
    signal: field(signal),
  },
  { requiredKeys: ['type'] },
);

/** Text on the wire: the JSON of a frame, that JSON cut short, or any string. */
export const wireText = (frame: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: frame.map((f) => JSON.stringify(f)) },
    { weight: 1, arbitrary: fc.tuple(frame, fc.nat()).map(([f, cut]) => JSON.stringify(f).slice(0, cut)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
  );

/** A data-channel frame as a hand-made peer could write it: any kind byte, any number, any payload. */
export const channelFrame = fc
  .record({
    kind: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }) },
      { weight: 1, arbitrary: fc.nat({ max: 255 }) },
    ),
    n: fc.oneof(fc.nat({ max: 8 }), number),
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 16 }),
      fc.nat({ max: 3 }).map((k) => new Uint8Array([0, 1023, 1024, 5000][k] ?? 0)),
      fc.constantFrom('peer\n', 'peer\nme', 'a\nb\nc').map((s) => new TextEncoder().encode(s)),
    ),
    truncate: fc.option(fc.nat({ max: 12 }), { freq: 10 }),
  })
  .map(({ kind, n, payload, truncate }) => {
    const frame = new Uint8Array(9 + payload.byteLength);
    const view = new DataView(frame.buffer);
    view.setUint8(0, kind);
    view.setFloat64(1, n);
    frame.set(payload, 9);
    return truncate === null ? frame : frame.slice(0, truncate);
  });
