/**
 * Small DOM helpers. Every text that came over the network (peer ids, messages) is set with
 * textContent or setAttribute, never parsed as markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An HTML element with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** An SVG element with attributes and children. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** The colour of each public peer state (and of `none`: no actor on that side). */
export const STATE_COLORS = {
  connected: '#1a7f37',
  handshaking: '#8250df',
  connecting: '#bf8700',
  discovering: '#0969da',
  disconnected: '#8c959f',
  failed: '#cf222e',
  closed: '#57606a',
  none: '#d0d7de',
};

/** A state badge: the public state name, coloured by it. */
export function badge(state) {
  const el = h('span', { class: 'badge', 'data-state': state }, state);
  el.style.background = STATE_COLORS[state] ?? STATE_COLORS.none;
  return el;
}
