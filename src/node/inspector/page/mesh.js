/**
 * The mesh: each system a circle (outlined green while its signaling session is open), each link
 * a line between two systems drawn in two halves, each half coloured by that side's peer state. A
 * link's `data-state` is `connected` only when both sides are; otherwise the state of a side that
 * is not. The label counts ICE restarts, full reconnects and outbox messages of both sides.
 */
import { STATE_COLORS, s } from './dom.js';

const SIZE = 400;
const RADIUS = 140;

/** Positions of the systems on a circle, by id. */
function layout(ids) {
  const at = new Map();
  ids.forEach((id, i) => {
    const angle = (2 * Math.PI * i) / ids.length - Math.PI / 2;
    at.set(id, { x: SIZE / 2 + RADIUS * Math.cos(angle), y: SIZE / 2 + RADIUS * Math.sin(angle) });
  });
  return at;
}

function linkState(ab, ba) {
  const states = [ab?.state ?? 'none', ba?.state ?? 'none'];
  if (states.every((state) => state === 'connected')) return 'connected';
  return states.find((state) => state !== 'connected');
}

function counters(ab, ba) {
  const sum = (f) => (ab?.figures[f] ?? 0) + (ba?.figures[f] ?? 0);
  return `ICE↻ ${sum('iceRestarts')} · reconn ${sum('reconnects')} · out ${sum('outboxMessages')}`;
}

/** Redraws the mesh into `svg`; clicking a half selects that side's peer (`onSelect(key)`). */
export function renderMesh(svg, systems, peers, selected, onSelect) {
  const ids = [...new Set([...systems.keys(), ...[...peers.values()].map((p) => p.system)])].sort();
  const at = layout(ids);
  const links = s('g', { class: 'links' });
  const nodes = s('g', { class: 'systems' });
  for (const [i, a] of ids.entries()) {
    for (const b of ids.slice(i + 1)) {
      const ab = peers.get(`${a}>${b}`);
      const ba = peers.get(`${b}>${a}`);
      if (!ab && !ba) continue;
      const pa = at.get(a);
      const pb = at.get(b);
      const mid = { x: (pa.x + pb.x) / 2, y: (pa.y + pb.y) / 2 };
      const half = (from, view, key) => {
        const line = s('line', {
          class: key === selected ? 'half selected' : 'half',
          x1: from.x,
          y1: from.y,
          x2: mid.x,
          y2: mid.y,
          'data-peer-key': key,
          'data-state': view?.state ?? 'none',
          stroke: STATE_COLORS[view?.state ?? 'none'],
        });
        line.append(s('title', {}, `${key.replace('>', ' → ')}: ${view?.state ?? 'no actor'}`));
        if (view) line.addEventListener('click', () => onSelect(key));
        return line;
      };
      links.append(
        s(
          'g',
          { class: 'link', 'data-link': `${a}|${b}`, 'data-state': linkState(ab, ba) },
          half(pa, ab, `${a}>${b}`),
          half(pb, ba, `${b}>${a}`),
          s('text', { class: 'counters', x: mid.x, y: mid.y - 6 }, counters(ab, ba)),
        ),
      );
    }
  }
  for (const id of ids) {
    const p = at.get(id);
    const system = systems.get(id);
    nodes.append(
      s(
        'g',
        {
          class: 'system',
          'data-system': id,
          'data-signaling': system?.signaling ?? 'unknown',
          'data-running': system?.running ?? true,
        },
        s('circle', { cx: p.x, cy: p.y, r: 22 }),
        s('text', { x: p.x, y: p.y + 4 }, id),
        s(
          'text',
          { class: 'counters', x: p.x, y: p.y + 36 },
          `signaling ${system?.signaling ?? '?'} · gen ${system?.generation ?? '?'}`,
        ),
      ),
    );
  }
  svg.replaceChildren(links, nodes);
}
