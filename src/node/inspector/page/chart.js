/**
 * The peer chart: visualizations/peer.svg, served by the inspector, inlined once; the selected
 * peer's active states are highlighted by their stable ids (`state:<state id>`, written by
 * src/visualize/dot.ts), and the chart scrolls to keep its innermost active state in view.
 */

let active = [];

/** The chart is drawn at this fraction of its natural size: readable, and less to scroll. */
const SCALE = 0.6;

/** Loads the chart into `container`; resolves to its SVG element. */
export async function loadChart(container) {
  const response = await fetch('/peer.svg');
  const doc = new DOMParser().parseFromString(await response.text(), 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  for (const side of ['width', 'height']) {
    const natural = Number.parseFloat(svg.getAttribute(side) ?? '');
    if (Number.isFinite(natural)) svg.setAttribute(side, `${natural * SCALE}pt`);
  }
  container.replaceChildren(svg);
  return svg;
}

/** Highlights exactly the states whose ids are in `ids` (none for an empty list), except the root. */
export function highlight(container, ids) {
  for (const el of active) el.classList.remove('active');
  active = ids
    .filter((id) => id.includes('.'))
    .map((id) => document.getElementById(`state:${id}`))
    .filter((el) => el !== null);
  for (const el of active) el.classList.add('active');
  const innermost = active.filter((el) => el.classList.contains('node'));
  const target = innermost[innermost.length - 1];
  if (!target) return;
  const box = target.getBoundingClientRect();
  const view = container.getBoundingClientRect();
  if (box.top < view.top || box.bottom > view.bottom)
    container.scrollTop += box.top - view.top - (view.height - box.height) / 2;
  if (box.left < view.left || box.right > view.right)
    container.scrollLeft += box.left - view.left - (view.width - box.width) / 2;
}
