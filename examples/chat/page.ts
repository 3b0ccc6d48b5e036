/**
 * The chat page: one peer system per tab on the browser's own RTCPeerConnection and WebSocket. The
 * tab's id and the peer to call come from the URL (`?id=alice&to=bob`) or the form; every peer that
 * calls us is accepted. Each peer's state is shown as `state$` reports it; a message goes to every
 * connected peer. Peers' text is untrusted: it is shown with textContent only, cut to 2,000 characters.
 */
import { createPeerSystem, type PeerHandle } from '../../src/index.js';

const MAX_SHOWN = 2_000;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const localId = params.get('id') || `tab-${Math.random().toString(36).slice(2, 8)}`;
const signalingUrl = document.querySelector<HTMLMetaElement>('meta[name="signaling"]')?.content ?? '';

byId('self').textContent = localId;
document.title = `peerstate chat: ${localId}`;

const system = createPeerSystem({
  localId,
  url: signalingUrl,
  room: 'chat',
  rtc: { name: 'browser', RTCPeerConnection, hasBufferedAmountLow: true },
  WebSocket,
});
const peers = new Map<string, PeerHandle>();

function log(from: string, text: string): void {
  const line = document.createElement('li');
  const who = document.createElement('b');
  who.textContent = `${from}: `;
  line.append(who, text.slice(0, MAX_SHOWN));
  byId('log').append(line);
}

function show(handle: PeerHandle): void {
  if (peers.get(handle.id) === handle) return;
  peers.set(handle.id, handle);
  const item = document.createElement('li');
  item.dataset.peer = handle.id;
  const name = document.createElement('span');
  name.textContent = `${handle.id} `;
  const state = document.createElement('span');
  state.className = 'state';
  item.append(name, state);
  byId('peers').append(item);
  handle.state$.subscribe((s) => {
    state.textContent = s;
  });
  handle.messages$.subscribe((data) =>
    log(handle.id, typeof data === 'string' ? data : `(${data.byteLength} bytes)`),
  );
}

system.incoming$.subscribe(show);
system.errors$.subscribe((error) => log('error', `${error.code}: ${error.message}`));
system.signaling$.subscribe((s) => {
  byId('signaling').textContent = s;
});

byId<HTMLFormElement>('call').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('to');
  const to = input.value.trim();
  if (to && to !== localId) show(system.connect(to));
  input.value = '';
});

byId<HTMLFormElement>('say').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('text');
  const text = input.value;
  if (!text) return;
  for (const handle of peers.values()) if (handle.state !== 'closed') handle.send(text);
  log(localId, text);
  input.value = '';
});

const to = params.get('to');
if (to && to !== localId) show(system.connect(to));
