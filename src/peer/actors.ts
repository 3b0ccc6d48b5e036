/**
 * The implementations the peer chart is provided with: its actors (the RTCPeerConnection, the
 * negotiation steps), its actions that touch the pc or the outbox, and its delays.
 */
import { enqueueActions, fromCallback, fromPromise } from 'xstate';
import type {
  LocalDescriptionOutput,
  OperationInput,
  PeerContext,
  PeerEvent,
  RemoteDescriptionOutput,
} from '../../machines/peer.js';
import { isOfGeneration, peerMachine } from '../../machines/peer.js';
import { PeerstateError, UndeliveredError } from '../errors.js';
import { decodeFrame, encodeAck, encodeHello, encodePing, Reassembler } from '../protocol/frames.js';
import type { Description } from '../protocol/signals.js';
import type { ReconnectPolicy } from '../reconnect-policy.js';
import type { BindingOptions, RtcImplementation } from '../rtc/binding.js';
import { PeerConnectionBinding } from '../rtc/binding.js';
import type { PeerResourceRegistry, PeerResources } from './resources.js';

/** What the peer implementations need. */
export interface PeerDependencies {
  rtc: RtcImplementation;
  binding: BindingOptions;
  registry: PeerResourceRegistry;
  /** Time `connecting` and `handshaking` may each take, in ms. */
  connectTimeoutMs: number;
  /** Time ICE may stay `disconnected` before an ICE restart, in ms. */
  disconnectedGraceMs: number;
  /** While restarting, time one ICE restart may take before the next, in ms. */
  iceRestartIntervalMs: number;
  /** After an ICE restart, time the resume handshake may take before a full reconnect, in ms. */
  resumeTimeoutMs: number;
  /** Heartbeat period, in ms. */
  heartbeatIntervalMs: number;
  /** Heartbeat periods without any frame from the remote before it counts as lost. */
  heartbeatMisses: number;
  /** The wait before full reconnect n (1 for the first), in ms; `null` counts as no wait (the chart stops at maxReconnects). */
  reconnectPolicy: ReconnectPolicy;
  /** Largest message accepted from the remote after reassembly, in bytes. */
  maxMessageBytes: number;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The binding of the pc the chart means now: its connection number must match, because a pc that
 * was just stopped (or not yet started) in the same step is still (or not yet) registered.
 */
function currentBinding(
  registry: PeerResourceRegistry,
  input: { key: number; connection: number },
): PeerConnectionBinding | null {
  const binding = registry.get(input.key)?.binding;
  return binding && binding.connection === input.connection ? binding : null;
}

/** The current binding for a negotiation step; without one the step fails (never a TypeError). */
function bindingOf(
  registry: PeerResourceRegistry,
  input: { key: number; connection: number },
): PeerConnectionBinding {
  const binding = currentBinding(registry, input);
  if (!binding)
    throw new PeerstateError('negotiation-failed', `no RTCPeerConnection #${input.connection} for this peer`);
  return binding;
}

/** Send an ack after this many delivered messages, or `ACK_DELAY_MS` after the first unacknowledged one. */
const ACK_EVERY = 32;
const ACK_DELAY_MS = 20;

/**
 * The receiving end of one data channel: control frames become chart events (hello) or outbox
 * releases (ack); message frames are reassembled, delivered once and in order, and acknowledged
 * cumulatively (every ACK_EVERY messages, or after ACK_DELAY_MS).
 */
function createReceiver(
  registry: PeerResourceRegistry,
  resources: PeerResources,
  binding: () => PeerConnectionBinding,
  sendBack: (event: PeerEvent) => void,
  maxMessageBytes: number,
) {
  const reassembler = new Reassembler(maxMessageBytes);
  let unacked = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const report = (reason: string) =>
    registry.errors.next(
      new PeerstateError('invalid-frame', `from ${resources.remoteId}: ${reason}`, {
        peerId: resources.remoteId,
      }),
    );
  const sendAck = () => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    unacked = 0;
    // An ack that cannot be sent now is repeated by the next one, or replaced by the next hello.
    try {
      if (binding().isChannelOpen) binding().send(encodeAck(resources.inbox.lastDelivered));
    } catch {}
  };
  return {
    receive(raw: ArrayBuffer | string): void {
      const frame = decodeFrame(raw);
      resources.lastReceivedAt = performance.now();
      switch (frame.kind) {
        case 'ping':
          return;
        case 'hello':
          sendBack({ type: 'CHANNEL.HELLO', lastDelivered: resources.inbox.hello(frame, resources.epoch) });
          return;
        case 'ack':
          resources.outbox.acknowledge(frame.delivered);
          return;
        case 'invalid':
          report(frame.reason);
          return;
      }
      const message = reassembler.push(frame);
      if (message === null) return;
      if (message instanceof Error) {
        report(message.message);
        return;
      }
      const verdict = resources.inbox.accept(message.seq);
      if (verdict === 'deliver') registry.messages.next({ from: resources.remoteId, data: message.data });
      else if (verdict === 'gap')
        report(`message ${message.seq} arrived after ${resources.inbox.lastDelivered}`);
      unacked++;
      if (unacked >= ACK_EVERY) sendAck();
      else ackTimer ??= setTimeout(sendAck, ACK_DELAY_MS);
    },
    dispose(): void {
      clearTimeout(ackTimer);
    },
  };
}

/**
 * Sends what the outbox may send now on `binding`; when it pauses at the high-water mark, the binding
 * reports CHANNEL.BUFFER_LOW later. Returns the error message if a send threw (DC-5), else undefined.
 */
function flushNow(
  resources: PeerResources | undefined,
  binding: PeerConnectionBinding | null,
): string | undefined {
  if (!resources || !binding) return undefined;
  const result = resources.outbox.flush(binding);
  if (result.status === 'paused') binding.waitForBufferLow();
  return result.status === 'failed' ? toError(result.error).message : undefined;
}

/** Empties a closing peer's outbox; what it held is reported as an UndeliveredError, never dropped silently. */
function releaseHeld(registry: PeerResourceRegistry, resources: PeerResources | undefined): void {
  const held = resources?.outbox.takeAll();
  if (resources && held && held.unsent.length + held.unacknowledged.length > 0) {
    registry.errors.next(new UndeliveredError(resources.remoteId, held));
  }
}

/** The peer chart provided with the implementations of one system. */
export function providePeerMachine(deps: PeerDependencies) {
  const { registry } = deps;
  const resourcesOf = (context: PeerContext) => registry.get(context.key);
  const bindingFor = (context: PeerContext) => currentBinding(registry, context);

  return peerMachine.provide({
    actors: {
      peerResources: fromCallback<PeerEvent, { key: number; remoteId: string }>(({ input }) => {
        registry.open(input.key, input.remoteId);
        return () => {
          releaseHeld(registry, registry.get(input.key));
          registry.delete(input.key);
        };
      }),
      peerConnection: fromCallback<PeerEvent, { key: number; connection: number }>(({ input, sendBack }) => {
        const resources = registry.get(input.key);
        if (!resources) return undefined;
        const receiver = createReceiver(registry, resources, () => binding, sendBack, deps.maxMessageBytes);
        const binding: PeerConnectionBinding = new PeerConnectionBinding(
          input.connection,
          deps.rtc,
          deps.binding,
          {
            event: sendBack,
            data: (raw) => receiver.receive(raw),
            error: (error) =>
              registry.errors.next(
                new PeerstateError('candidate-failed', error.message, {
                  peerId: resources.remoteId,
                  cause: error,
                }),
              ),
          },
        );
        resources.binding = binding;
        return () => {
          receiver.dispose();
          binding.close();
          if (resources.binding === binding) resources.binding = null;
        };
      }),
      createOffer: fromPromise<LocalDescriptionOutput, OperationInput & { iceRestart: boolean }>(
        ({ input, signal }) => bindingOf(registry, input).createOffer(signal, input.iceRestart),
      ),
      acceptOffer: fromPromise<RemoteDescriptionOutput, OperationInput & { description: Description }>(
        async ({ input, signal }) => ({
          ufrag: await bindingOf(registry, input).acceptOffer(input.description, signal),
        }),
      ),
      heartbeat: fromCallback<PeerEvent, { key: number; connection: number }>(({ input, sendBack }) => {
        const resources = registry.get(input.key);
        if (!resources) return undefined;
        resources.lastReceivedAt = performance.now();
        const silenceMs = deps.heartbeatIntervalMs * deps.heartbeatMisses;
        let lost = false;
        const timer = setInterval(() => {
          const binding = currentBinding(registry, input);
          if (!binding || lost) return;
          if (performance.now() - resources.lastReceivedAt > silenceMs) {
            lost = true;
            sendBack({ type: 'HEARTBEAT.LOST' });
            return;
          }
          // A ping that cannot be sent (channel closing) is not an error: CHANNEL.CLOSE follows.
          try {
            if (binding.isChannelOpen) binding.send(encodePing());
          } catch {}
        }, deps.heartbeatIntervalMs);
        return () => clearInterval(timer);
      }),
      createAnswer: fromPromise<LocalDescriptionOutput, OperationInput>(({ input, signal }) =>
        bindingOf(registry, input).createAnswer(signal),
      ),
      setRemoteDescription: fromPromise<
        RemoteDescriptionOutput,
        OperationInput & { description: Description }
      >(async ({ input, signal }) => ({
        ufrag: await bindingOf(registry, input).setRemoteDescription(input.description, signal),
      })),
    },
    actions: {
      /** ICE-4 in arrival order; ICE-6: candidates of another ICE generation than the new description's are dropped. */
      drainRemoteCandidates: ({ context, event }) => {
        const ufrag = event.type === 'REMOTE_DESCRIPTION.SET' ? event.ufrag : context.remoteUfrag;
        // Candidates of another ICE generation (an old one, or an ignored glare offer's) are dropped by
        // rule, not reported as errors (ICE-6, ICE-8).
        for (const candidate of context.bufferedCandidates) {
          if (isOfGeneration(candidate, ufrag)) bindingFor(context)?.addIceCandidate(candidate);
        }
      },
      addRemoteCandidate: ({ context, event }) => {
        if (event.type === 'SIGNAL.CANDIDATE') bindingFor(context)?.addIceCandidate(event.candidate);
      },
      sendChannelHello: enqueueActions(({ context, enqueue }) => {
        const resources = resourcesOf(context);
        try {
          if (resources) {
            const { inbox, epoch } = resources;
            bindingFor(context)?.send(encodeHello(inbox.lastDelivered, epoch, inbox.remoteEpoch ?? 0));
          }
        } catch (error) {
          enqueue.raise({ type: 'CHANNEL.SEND_FAILED', message: toError(error).message });
        }
      }),
      enqueueMessage: ({ context, event }) => {
        if (event.type === 'SEND') resourcesOf(context)?.outbox.push(event.data);
      },
      flushOutbox: enqueueActions(({ context, enqueue }) => {
        const failure = flushNow(resourcesOf(context), bindingFor(context));
        if (failure) enqueue.raise({ type: 'CHANNEL.SEND_FAILED', message: failure });
      }),
      resumeOutbox: ({ context }) => {
        resourcesOf(context)?.outbox.resume(context.remoteResumePoint ?? 0, bindingFor(context));
      },
      flushFirstMessages: enqueueActions(({ context, enqueue }) => {
        const resources = resourcesOf(context);
        // Nothing was ever sent: nothing can need resending, so the first messages follow the hello at once.
        if (!resources?.outbox.neverSent) return;
        const failure = flushNow(resources, bindingFor(context));
        if (failure) enqueue.raise({ type: 'CHANNEL.SEND_FAILED', message: failure });
      }),
      releaseOutbox: ({ context }) => releaseHeld(registry, resourcesOf(context)),
    },
    guards: {
      isPeerConnectionConnected: ({ context }) => bindingFor(context)?.isConnected ?? false,
      isChannelOpen: ({ context }) => bindingFor(context)?.isChannelOpen ?? false,
    },
    delays: {
      connectTimeout: deps.connectTimeoutMs,
      disconnectedGrace: deps.disconnectedGraceMs,
      iceRestartInterval: deps.iceRestartIntervalMs,
      resumeTimeout: deps.resumeTimeoutMs,
      reconnectBackoff: ({ context }) => deps.reconnectPolicy.nextDelayMs(context.reconnects) ?? 0,
    },
  });
}
