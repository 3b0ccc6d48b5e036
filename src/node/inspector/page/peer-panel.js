/**
 * The selected peer: its state, why it is not connected (the leaf states it waits in, what each
 * waits for, and the circumstances), and its figures.
 */
import { badge, h } from './dom.js';

const FIGURES = [
  ['connection', 'pc number'],
  ['iceRestarts', 'ICE restarts'],
  ['reconnects', 'reconnects'],
  ['bufferedCandidates', 'buffered candidates'],
  ['outboxMessages', 'outbox messages'],
  ['outboxBytes', 'outbox bytes'],
  ['unacknowledged', 'unacknowledged'],
  ['bufferedAmount', 'bufferedAmount'],
  ['roundTripMs', 'heartbeat RTT (ms)'],
  ['generation', 'signaling gen'],
  ['remotePresent', 'remote present'],
];

/** A figure as shown: – when not known, fractions (a round trip in ms) to 0.1. */
function shown(value) {
  if (value === null || value === undefined) return '–';
  return typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Fills the panel's title, why box and figures with `view` (a PeerView). */
export function renderPeer(view, { title, why, figures }) {
  title.replaceChildren(`${view.system} → ${view.peer} `, badge(view.state));
  if (view.waiting.length === 0) why.replaceChildren();
  else {
    why.replaceChildren(
      h('strong', {}, `Not connected: ${view.state}, waiting in`),
      h(
        'ul',
        {},
        ...view.waiting.map((w) =>
          h(
            'li',
            { 'data-waiting': w.state },
            h('code', {}, w.state),
            w.description ? ` — ${w.description}` : '',
            w.waitsFor.length > 0 ? h('div', {}, 'waits for: ', h('code', {}, w.waitsFor.join(' · '))) : '',
          ),
        ),
      ),
      ...(view.hints.length > 0
        ? [h('ul', { class: 'hints' }, ...view.hints.map((hint) => h('li', {}, hint)))]
        : []),
    );
  }
  figures.replaceChildren(
    ...FIGURES.flatMap(([field, label]) => [
      h('dt', {}, label),
      h('dd', { 'data-figure': field }, shown(view.figures[field])),
    ]),
  );
}
