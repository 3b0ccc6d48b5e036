/**
 * The inspector page: follows the inspector's WebSocket (frames as src/node/inspector/views.ts
 * describes them) and redraws at most once per animation frame. In a replay, the scrubber asks the
 * server for the state at a time in the recording.
 */
import { highlight, loadChart } from './chart.js';
import { badge, h } from './dom.js';
import { renderMesh } from './mesh.js';
import { renderPeer } from './peer-panel.js';
import { Timeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
const systems = new Map();
const peers = new Map();
const timeline = new Timeline($('timeline'), $('filter'));
let selected = null;
let mode = null;
let chartReady = false;
let drawn = false;

function select(key) {
  selected = key;
  redraw();
}

function renderTable() {
  const rows = [...peers.values()]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((p) => {
      const f = p.figures;
      const row = h(
        'tr',
        { 'data-peer-key': p.key, 'data-state': p.state, class: p.key === selected ? 'selected' : '' },
        h('td', {}, p.system),
        h('td', {}, p.peer),
        h('td', {}, badge(p.state)),
        h('td', {}, String(f.connection)),
        h('td', {}, String(f.iceRestarts)),
        h('td', {}, String(f.reconnects)),
        h('td', {}, f.outboxMessages === null ? '–' : String(f.outboxMessages)),
        h('td', {}, f.unacknowledged === null ? '–' : String(f.unacknowledged)),
        h('td', { 'data-figure': 'roundTripMs' }, f.roundTripMs === null ? '–' : f.roundTripMs.toFixed(1)),
      );
      row.addEventListener('click', () => select(p.key));
      return row;
    });
  $('peers').tBodies[0].replaceChildren(...rows);
}

function draw() {
  drawn = false;
  if (selected === null && peers.size > 0) selected = [...peers.keys()].sort()[0];
  renderMesh($('mesh'), systems, peers, selected, select);
  renderTable();
  const view = selected === null ? undefined : peers.get(selected);
  if (view) renderPeer(view, { title: $('peer-title'), why: $('why'), figures: $('figures') });
  if (chartReady) highlight($('chart'), view ? view.active : []);
  timeline.render();
}

function redraw() {
  if (drawn) return;
  drawn = true;
  requestAnimationFrame(draw);
}

function receive(message) {
  switch (message.type) {
    case 'hello':
      mode = message.mode;
      if (mode === 'replay') {
        timeline.relative = true;
        $('replay').hidden = false;
        $('scrubber').max = String(Math.ceil(message.durationMs));
        $('scrubber').value = $('scrubber').max;
        $('clock').value = `${(message.durationMs / 1000).toFixed(1)} s`;
      }
      break;
    case 'reset':
      systems.clear();
      peers.clear();
      timeline.clear();
      break;
    case 'update':
      for (const key of message.removed) peers.delete(key);
      for (const view of message.systems) systems.set(view.id, view);
      for (const view of message.peers) peers.set(view.key, view);
      if (selected !== null && !peers.has(selected)) selected = null;
      timeline.add(message.timeline, message.dropped);
      break;
  }
  document.body.dataset.t = String(message.t ?? '');
  redraw();
}

function connect() {
  const socket = new WebSocket(`ws://${location.host}/ws`);
  const status = $('status');
  socket.addEventListener('open', () => {
    status.dataset.status = 'open';
    status.textContent = 'live';
  });
  socket.addEventListener('close', () => {
    status.dataset.status = 'closed';
    status.textContent = 'disconnected from the inspector (reload to reconnect)';
  });
  socket.addEventListener('message', (event) => receive(JSON.parse(event.data)));
  let pending = false;
  $('scrubber').addEventListener('input', () => {
    $('clock').value = `${(Number($('scrubber').value) / 1000).toFixed(1)} s`;
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (socket.readyState === WebSocket.OPEN)
        socket.send(JSON.stringify({ type: 'seek', t: Number($('scrubber').value) }));
    });
  });
}

loadChart($('chart')).then(() => {
  chartReady = true;
  redraw();
});
connect();
