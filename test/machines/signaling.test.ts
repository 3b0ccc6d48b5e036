import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { createActor, fromCallback, setup } from 'xstate';
import type {
  SignalingEmitted,
  SignalingEvent,
  SignalingInput,
  SignalingParentEvent,
} from '../../machines/signaling.js';
import { signalingMachine } from '../../machines/signaling.js';
import type { ServerFrame, Signal } from '../../src/protocol/signals.js';

type SessionInput = SignalingInput & { generation: number };

/** One session actor the chart started: its input, what it received, whether it was cleaned up. */
interface FakeSession {
  input: SessionInput;
  sendBack: (event: SignalingEvent) => void;
  received: SignalingEvent[];
  cleanedUp: boolean;
}

interface Harness {
  signaling: AnyActorRef;
  sessions: FakeSession[];
  /** SIGNALING.* events the parent (the system) received. */
  parentEvents: SignalingParentEvent[];
  emitted: SignalingEmitted[];
  errors: unknown[];
  state: () => string;
  context: () => { url: string; generation: number; attempt: number };
  /** The latest session. */
  session: () => FakeSession;
  stop: () => void;
}

const input: SignalingInput = { url: 'ws://a.example', room: 'r', peerId: 'me' };
const hello: Signal = { type: 'hello' };
const frame: ServerFrame = { v: 1, type: 'presence', peerId: 'bob', present: true };

let harnesses: Harness[] = [];

function start(signalingInput: SignalingInput = input): Harness {
  const sessions: FakeSession[] = [];
  const parentEvents: SignalingParentEvent[] = [];
  const provided = signalingMachine.provide({
    actors: {
      session: fromCallback<SignalingEvent, SessionInput>(({ input, sendBack, receive }) => {
        const session: FakeSession = { input, sendBack, received: [], cleanedUp: false };
        sessions.push(session);
        receive((event) => {
          session.received.push(event);
        });
        return () => {
          session.cleanedUp = true;
        };
      }),
    },
  });
  const parentMachine = setup({ actors: { signaling: provided } }).createMachine({
    invoke: { id: 'signaling', src: 'signaling', input: signalingInput },
    on: {
      '*': {
        actions: ({ event }) => {
          if (event.type.startsWith('SIGNALING.')) parentEvents.push(event as SignalingParentEvent);
        },
      },
    },
  });
  const parent = createActor(parentMachine).start();
  const signaling = parent.getSnapshot().children.signaling as AnyActorRef;
  const emitted: SignalingEmitted[] = [];
  signaling.on('*', (e: SignalingEmitted) => emitted.push(e));
  const errors: unknown[] = [];
  signaling.subscribe({ error: (error) => errors.push(error) });
  const h: Harness = {
    signaling,
    sessions,
    parentEvents,
    emitted,
    errors,
    state: () => signaling.getSnapshot().value,
    context: () => signaling.getSnapshot().context,
    session: () => {
      const last = sessions.at(-1);
      if (!last) throw new Error('no session has started');
      return last;
    },
    stop: () => parent.stop(),
  };
  harnesses.push(h);
  return h;
}

function send(h: Harness, event: SignalingEvent): void {
  h.signaling.send(event);
}

function outbound(generation: number, to = 'bob', signal: Signal = hello): SignalingEvent {
  return { type: 'SIGNALING.SEND', generation, to, signal };
}

/** CONNECT and open the first session (generation 1). */
function open(h: Harness): void {
  send(h, { type: 'CONNECT' });
  h.session().sendBack({ type: 'SESSION.OPEN', generation: 1, peers: ['bob'] });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  for (const h of harnesses) {
    expect(h.errors).toEqual([]);
    h.stop();
  }
  harnesses = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('signaling chart: sessions and generations', () => {
  it('starts disconnected at generation 0 without a session', () => {
    const h = start();
    expect(h.state()).toBe('disconnected');
    expect(h.context()).toMatchObject({ generation: 0, attempt: 0 });
    expect(h.sessions).toEqual([]);
  });

  it('CONNECT → connecting (generation 1, one session) → SESSION.OPEN → open; the parent gets SIGNALING.OPEN', () => {
    const h = start();
    send(h, { type: 'CONNECT' });
    expect(h.state()).toBe('connecting');
    expect(h.context().generation).toBe(1);
    expect(h.sessions.map((s) => s.input)).toEqual([{ ...input, generation: 1 }]);
    expect(h.parentEvents).toEqual([]);

    h.session().sendBack({ type: 'SESSION.OPEN', generation: 1, peers: ['bob', 'carol'] });
    expect(h.state()).toBe('open');
    expect(h.parentEvents).toEqual([{ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob', 'carol'] }]);
  });

  it('CONNECT while connecting or open starts no second session', () => {
    const h = start();
    send(h, { type: 'CONNECT' });
    send(h, { type: 'CONNECT' });
    open(h);
    send(h, { type: 'CONNECT' });
    expect(h.sessions).toHaveLength(1);
    expect(h.context().generation).toBe(1);
  });

  it('SIGNALING.SEND with the current generation is transmitted to the session', () => {
    const h = start();
    open(h);
    send(h, outbound(1));
    expect(h.session().received).toEqual([outbound(1)]);
    expect(h.emitted).toEqual([]);
  });

  it('SIGNALING.SEND with a stale generation is not transmitted; signalDropped is emitted', () => {
    const h = start();
    open(h);
    send(h, outbound(0, 'carol'));
    expect(h.session().received).toEqual([]);
    expect(h.emitted).toEqual([{ type: 'signalDropped', to: 'carol', generation: 0, currentGeneration: 1 }]);
  });

  it('CB-4 SIGNALING.SEND while no session is open (connecting, reconnecting) is dropped and reported', () => {
    const h = start();
    send(h, outbound(0));
    send(h, { type: 'CONNECT' });
    send(h, outbound(1));
    expect(h.session().received).toEqual([]);
    h.session().sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: 'gone' });
    send(h, outbound(1));
    expect(h.sessions.every((s) => s.received.length === 0)).toBe(true);
    expect(h.emitted.map((e) => e.type)).toEqual(['signalDropped', 'signalDropped', 'signalDropped']);
  });

  it('CB-4 a signal the session could not send (socket already closing) is reported as dropped', () => {
    const h = start();
    open(h);
    h.session().sendBack({ type: 'SESSION.UNSENT', generation: 1, to: 'bob', reason: 'socket closing' });
    expect(h.emitted).toEqual([{ type: 'signalDropped', to: 'bob', generation: 1, currentGeneration: 1 }]);
    expect(h.state()).toBe('open');
  });

  it('SESSION.FRAME of the current session is forwarded to the parent', () => {
    const h = start();
    open(h);
    h.session().sendBack({ type: 'SESSION.FRAME', generation: 1, frame });
    expect(h.parentEvents.at(-1)).toEqual({ type: 'SIGNALING.FRAME', generation: 1, frame });
  });

  it('SESSION.INVALID of the current session emits invalidFrame; of a stale one, nothing', () => {
    const h = start();
    open(h);
    send(h, { type: 'SESSION.INVALID', generation: 1, reason: 'bad json' });
    send(h, { type: 'SESSION.INVALID', generation: 0, reason: 'old' });
    expect(h.emitted).toEqual([{ type: 'invalidFrame', generation: 1, reason: 'bad json' }]);
  });

  it('CB-3 events of a stale session (old generation) are ignored in connecting and in open', () => {
    const h = start();
    open(h);
    h.session().sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: '' });
    send(h, { type: 'RETRY' });
    expect(h.context().generation).toBe(2);
    const parentEventCount = h.parentEvents.length;
    // connecting (generation 2): the old session's events change nothing.
    send(h, { type: 'SESSION.OPEN', generation: 1, peers: [] });
    send(h, { type: 'SESSION.CLOSED', generation: 1, code: 1000, reason: '' });
    expect(h.state()).toBe('connecting');
    h.session().sendBack({ type: 'SESSION.OPEN', generation: 2, peers: [] });
    expect(h.state()).toBe('open');
    // open (generation 2): a frame or a close of generation 1 is not processed.
    send(h, { type: 'SESSION.FRAME', generation: 1, frame });
    send(h, { type: 'SESSION.CLOSED', generation: 1, code: 1000, reason: '' });
    expect(h.state()).toBe('open');
    expect(h.parentEvents.slice(parentEventCount)).toEqual([
      { type: 'SIGNALING.OPEN', generation: 2, peers: [] },
    ]);
  });

  it('a stopped session cannot reach the chart through its old sendBack', () => {
    const h = start();
    open(h);
    const old = h.session();
    old.sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: '' });
    send(h, { type: 'RETRY' });
    old.sendBack({ type: 'SESSION.OPEN', generation: 1, peers: [] });
    old.sendBack({ type: 'SESSION.FRAME', generation: 1, frame });
    expect(h.state()).toBe('connecting');
    expect(h.parentEvents.filter((e) => e.type === 'SIGNALING.FRAME')).toEqual([]);
  });
});

describe('signaling chart: reconnecting', () => {
  it('SESSION.CLOSED in open → reconnecting (cleanup ran, parent told) → after reconnectBackoff → connecting at generation 2', () => {
    const h = start();
    open(h);
    const first = h.session();
    first.sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: 'abnormal' });
    expect(h.state()).toBe('reconnecting');
    expect(first.cleanedUp).toBe(true);
    expect(h.parentEvents.at(-1)).toEqual({ type: 'SIGNALING.LOST', generation: 1 });
    expect(h.context().attempt).toBe(1);

    vi.advanceTimersByTime(999);
    expect(h.state()).toBe('reconnecting');
    expect(h.sessions).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(h.state()).toBe('connecting');
    expect(h.context().generation).toBe(2);
    expect(h.sessions.map((s) => s.input.generation)).toEqual([1, 2]);
    expect(h.session().cleanedUp).toBe(false);

    h.session().sendBack({ type: 'SESSION.OPEN', generation: 2, peers: [] });
    expect(h.state()).toBe('open');
    expect(h.context().attempt).toBe(0);
    send(h, outbound(2));
    send(h, outbound(1));
    expect(h.session().received).toEqual([outbound(2)]);
    expect(first.received).toEqual([]);
  });

  it('SESSION.CLOSED in connecting → reconnecting; attempts count up until a session opens', () => {
    const h = start();
    send(h, { type: 'CONNECT' });
    h.session().sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: 'refused' });
    expect(h.state()).toBe('reconnecting');
    expect(h.sessions[0]?.cleanedUp).toBe(true);
    // Never open: no SIGNALING.LOST.
    expect(h.parentEvents).toEqual([]);
    vi.advanceTimersByTime(1_000);
    h.session().sendBack({ type: 'SESSION.CLOSED', generation: 2, code: 1006, reason: 'refused' });
    expect(h.context().attempt).toBe(2);
    vi.advanceTimersByTime(1_000);
    expect(h.context().generation).toBe(3);
    h.session().sendBack({ type: 'SESSION.OPEN', generation: 3, peers: [] });
    expect(h.context().attempt).toBe(0);
    expect(h.sessions.map((s) => s.cleanedUp)).toEqual([true, true, false]);
  });

  it('RETRY cuts the wait: connecting at once, and the cancelled backoff starts no extra session', () => {
    const h = start();
    open(h);
    h.session().sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: '' });
    send(h, { type: 'RETRY' });
    expect(h.state()).toBe('connecting');
    expect(h.context().generation).toBe(2);
    expect(h.sessions).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(h.sessions).toHaveLength(2);
    expect(h.context().generation).toBe(2);
  });

  it('RETRY outside reconnecting does nothing', () => {
    const h = start();
    send(h, { type: 'RETRY' });
    expect(h.state()).toBe('disconnected');
    open(h);
    send(h, { type: 'RETRY' });
    expect(h.state()).toBe('open');
    expect(h.sessions).toHaveLength(1);
  });
});

describe('signaling chart: switch-over', () => {
  it('CB-3 SWITCH in open: new url, new generation, old session cleaned up; nothing of the old generation is transmitted after it', () => {
    const h = start();
    open(h);
    const a = h.session();
    send(h, outbound(1, 'bob'));
    expect(a.received).toEqual([outbound(1, 'bob')]);

    send(h, { type: 'SWITCH', url: 'ws://b.example' });
    expect(h.state()).toBe('connecting');
    expect(a.cleanedUp).toBe(true);
    expect(h.context()).toMatchObject({ url: 'ws://b.example', generation: 2 });
    expect(h.parentEvents.at(-1)).toEqual({ type: 'SIGNALING.LOST', generation: 1 });
    const b = h.session();
    expect(b.input).toEqual({ ...input, url: 'ws://b.example', generation: 2 });

    // Produced under A's session: dropped while B connects and after B is open.
    send(h, outbound(1, 'bob'));
    b.sendBack({ type: 'SESSION.OPEN', generation: 2, peers: ['bob'] });
    send(h, outbound(1, 'carol'));
    send(h, outbound(2, 'dave'));
    expect(a.received).toEqual([outbound(1, 'bob')]);
    expect(b.received).toEqual([outbound(2, 'dave')]);
    expect(h.emitted).toEqual([
      { type: 'signalDropped', to: 'bob', generation: 1, currentGeneration: 2 },
      { type: 'signalDropped', to: 'carol', generation: 1, currentGeneration: 2 },
    ]);
    // Anything arriving with A's generation is not processed.
    send(h, { type: 'SESSION.FRAME', generation: 1, frame });
    expect(h.parentEvents.filter((e) => e.type === 'SIGNALING.FRAME')).toEqual([]);
  });

  it('SWITCH in connecting restarts connecting with a new session at the new url', () => {
    const h = start();
    send(h, { type: 'CONNECT' });
    send(h, { type: 'SWITCH', url: 'ws://b.example' });
    expect(h.state()).toBe('connecting');
    expect(h.sessions.map((s) => [s.input.url, s.input.generation, s.cleanedUp])).toEqual([
      ['ws://a.example', 1, true],
      ['ws://b.example', 2, false],
    ]);
    // The first session's late open is stale.
    send(h, { type: 'SESSION.OPEN', generation: 1, peers: [] });
    expect(h.state()).toBe('connecting');
  });

  it('SWITCH in reconnecting connects to the new url at once; the old backoff timer starts nothing', () => {
    const h = start();
    open(h);
    h.session().sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: '' });
    send(h, { type: 'SWITCH', url: 'ws://b.example' });
    expect(h.state()).toBe('connecting');
    expect(h.session().input).toEqual({ ...input, url: 'ws://b.example', generation: 2 });
    vi.advanceTimersByTime(10_000);
    expect(h.sessions).toHaveLength(2);
  });
});

describe('signaling chart: failover list', () => {
  const urls = ['ws://a.example', 'ws://b.example', 'ws://c.example'];
  const lose = (h: Harness) =>
    h
      .session()
      .sendBack({ type: 'SESSION.CLOSED', generation: h.context().generation, code: 1006, reason: '' });

  it('each lost session (open or connecting) moves the next one to the next URL, round robin, after the backoff', () => {
    const h = start({ ...input, urls });
    open(h);
    lose(h);
    expect(h.state()).toBe('reconnecting');
    expect(h.parentEvents.at(-1)).toEqual({ type: 'SIGNALING.LOST', generation: 1 });
    vi.advanceTimersByTime(1_000);
    lose(h); // b refuses: its session closes while connecting
    vi.advanceTimersByTime(1_000);
    lose(h);
    vi.advanceTimersByTime(1_000);
    h.session().sendBack({ type: 'SESSION.OPEN', generation: 4, peers: [] });
    expect(h.state()).toBe('open');
    expect(h.sessions.map((s) => [s.input.url, s.input.generation])).toEqual([
      ['ws://a.example', 1],
      ['ws://b.example', 2],
      ['ws://c.example', 3],
      ['ws://a.example', 4],
    ]);
  });

  it('after a SWITCH to a URL outside the list, a lost session goes to the first URL of the list', () => {
    const h = start({ ...input, urls });
    open(h);
    send(h, { type: 'SWITCH', url: 'ws://elsewhere.example' });
    lose(h);
    vi.advanceTimersByTime(1_000);
    expect(h.sessions.map((s) => s.input.url)).toEqual([
      'ws://a.example',
      'ws://elsewhere.example',
      'ws://a.example',
    ]);
  });

  it('without a list (or with an empty one) every session goes to the same URL', () => {
    for (const h of [start(), start({ ...input, urls: [] })]) {
      open(h);
      lose(h);
      vi.advanceTimersByTime(1_000);
      expect(h.sessions.map((s) => s.input.url)).toEqual(['ws://a.example', 'ws://a.example']);
    }
  });
});

describe('signaling chart: close', () => {
  const reach: [string, (h: Harness) => void][] = [
    ['disconnected', () => {}],
    ['connecting', (h) => send(h, { type: 'CONNECT' })],
    ['open', open],
    [
      'reconnecting',
      (h) => {
        open(h);
        h.session().sendBack({ type: 'SESSION.CLOSED', generation: 1, code: 1006, reason: '' });
      },
    ],
  ];

  it.each(reach)('CLOSE from %s → final closed; every session cleaned up; nothing restarts', (name, go) => {
    const h = start();
    go(h);
    expect(h.state()).toBe(name);
    send(h, { type: 'CLOSE' });
    expect(h.state()).toBe('closed');
    expect(h.signaling.getSnapshot().status).toBe('done');
    expect(h.sessions.every((s) => s.cleanedUp)).toBe(true);
    const count = h.sessions.length;
    vi.advanceTimersByTime(10_000);
    send(h, { type: 'CONNECT' });
    send(h, outbound(1));
    expect(h.sessions).toHaveLength(count);
    expect(h.sessions.every((s) => s.received.length === 0)).toBe(true);
  });
});
