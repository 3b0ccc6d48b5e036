/**
 * The implementations the peer chart is provided with: its actors (the RTCPeerConnection, the
 * negotiation steps), its actions that touch the pc or the outbox, and its delays.
 */
import { enqueueActions, fromCallback, fromPromise } from 'xstate';
import type { LocalDescriptionOutput, PeerContext, PeerEvent } from '../../machines/peer.js';
import { peerMachine } from '../../machines/peer.js';
import { PeerstateError, UndeliveredError } from '../errors.js';
import { decodeFrame, encodeHello } from '../protocol/frames.js';
import type { Description } from '../protocol/signals.js';
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
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The binding of a peer whose pc exists; a negotiation step without one fails (never a TypeError). */
function bindingOf(registry: PeerResourceRegistry, key: number): PeerConnectionBinding {
  const binding = registry.get(key)?.binding;
  if (!binding) throw new PeerstateError('negotiation-failed', 'no RTCPeerConnection for this peer');
  return binding;
}

/** Handles one data-channel frame: control frames become chart events, data goes to the application. */
function receiveFrame(
  registry: PeerResourceRegistry,
  resources: PeerResources,
  raw: ArrayBuffer | string,
  sendBack: (event: PeerEvent) => void,
): void {
  const frame = decodeFrame(raw);
  if (frame.kind === 'hello') {
    sendBack({ type: 'CHANNEL.HELLO', lastDelivered: frame.lastDelivered });
  } else if (frame.kind === 'data') {
    if (resources.inbox.accept(frame.seq))
      registry.messages.next({ from: resources.remoteId, data: frame.data });
  } else {
    registry.errors.next(
      new PeerstateError('invalid-frame', `invalid frame from ${resources.remoteId}: ${frame.reason}`, {
        peerId: resources.remoteId,
      }),
    );
  }
}

/** The peer chart provided with the implementations of one system. */
export function providePeerMachine(deps: PeerDependencies) {
  const { registry } = deps;
  const resourcesOf = (context: PeerContext) => registry.get(context.key);

  return peerMachine.provide({
    actors: {
      peerResources: fromCallback<PeerEvent, { key: number; remoteId: string }>(({ input }) => {
        registry.open(input.key, input.remoteId);
        return () => {
          const resources = registry.get(input.key);
          const rest = resources?.outbox.takeAll() ?? [];
          if (resources && rest.length > 0)
            registry.errors.next(new UndeliveredError(resources.remoteId, rest));
          registry.delete(input.key);
        };
      }),
      peerConnection: fromCallback<PeerEvent, { key: number }>(({ input, sendBack }) => {
        const resources = registry.get(input.key);
        if (!resources) return undefined;
        const binding = new PeerConnectionBinding(deps.rtc, deps.binding, {
          event: sendBack,
          data: (raw) => receiveFrame(registry, resources, raw, sendBack),
          error: (error) =>
            registry.errors.next(
              new PeerstateError('candidate-failed', error.message, {
                peerId: resources.remoteId,
                cause: error,
              }),
            ),
        });
        resources.binding = binding;
        return () => {
          binding.close();
          if (resources.binding === binding) resources.binding = null;
        };
      }),
      createOffer: fromPromise<LocalDescriptionOutput, { key: number }>(({ input, signal }) =>
        bindingOf(registry, input.key).createOffer(signal),
      ),
      createAnswer: fromPromise<LocalDescriptionOutput, { key: number }>(({ input, signal }) =>
        bindingOf(registry, input.key).createAnswer(signal),
      ),
      setRemoteDescription: fromPromise<void, { key: number; description: Description }>(
        ({ input, signal }) => bindingOf(registry, input.key).setRemoteDescription(input.description, signal),
      ),
    },
    actions: {
      drainRemoteCandidates: ({ context }) => {
        const binding = resourcesOf(context)?.binding;
        for (const candidate of context.bufferedCandidates) binding?.addIceCandidate(candidate);
      },
      addRemoteCandidate: ({ context, event }) => {
        if (event.type === 'SIGNAL.CANDIDATE')
          resourcesOf(context)?.binding?.addIceCandidate(event.candidate);
      },
      sendChannelHello: enqueueActions(({ context, enqueue }) => {
        const resources = resourcesOf(context);
        try {
          resources?.binding?.send(encodeHello(resources.inbox.lastDelivered));
        } catch (error) {
          enqueue.raise({ type: 'CHANNEL.SEND_FAILED', message: toError(error).message });
        }
      }),
      enqueueMessage: ({ context, event }) => {
        if (event.type === 'SEND') resourcesOf(context)?.outbox.push(event.data);
      },
      flushOutbox: enqueueActions(({ context, enqueue }) => {
        const resources = resourcesOf(context);
        const binding = resources?.binding;
        if (!resources || !binding) return;
        const result = resources.outbox.flush(binding);
        if (result.status === 'paused') binding.waitForBufferLow();
        else if (result.status === 'failed') {
          enqueue.raise({ type: 'CHANNEL.SEND_FAILED', message: toError(result.error).message });
        }
      }),
      releaseOutbox: ({ context }) => {
        const resources = resourcesOf(context);
        const rest = resources?.outbox.takeAll() ?? [];
        if (resources && rest.length > 0)
          registry.errors.next(new UndeliveredError(resources.remoteId, rest));
      },
    },
    delays: {
      connectTimeout: deps.connectTimeoutMs,
    },
  });
}
