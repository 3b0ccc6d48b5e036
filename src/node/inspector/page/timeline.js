/**
 * The timeline: transitions and errors, newest first, at most LIMIT kept, filterable by peer
 * (`<system>><peer>`; the filter offers the keys of the entries kept). A transition that changed the public state shows it in bold; the leaf states
 * before and after and the event that caused it follow.
 */
import { badge, h } from './dom.js';

const LIMIT = 500;

/** The peer (`<system>><peer>`) or system an entry is about. */
const keyOf = (e) => (e.peer === null ? e.system : `${e.system}>${e.peer}`);

export class Timeline {
  constructor(list, filter) {
    this.list = list;
    this.filter = filter;
    this.entries = [];
    this.dropped = 0;
    this.keys = new Set();
    this.relative = false;
    filter.addEventListener('change', () => this.render());
  }

  /** Forgets every entry. */
  clear() {
    this.entries = [];
    this.dropped = 0;
  }

  /** Adds entries (oldest first); `dropped` more were lost on the way (a slow page). */
  add(entries, dropped) {
    this.entries.push(...entries);
    this.dropped += dropped;
    if (this.entries.length > LIMIT) this.entries.splice(0, this.entries.length - LIMIT);
    const kept = new Set(this.entries.map(keyOf));
    for (const option of [...this.filter.options]) {
      if (option.value === '' || kept.has(option.value) || option.value === this.filter.value) continue;
      option.remove();
      this.keys.delete(option.value);
    }
    for (const key of kept) {
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.filter.append(h('option', { value: key }, key.replace('>', ' → ')));
    }
  }

  /** A time as shown: a clock time live, seconds since the recording started in a replay (`relative`). */
  time(t) {
    if (this.relative) return `${(t / 1000).toFixed(3)} s`;
    const d = new Date(t);
    return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  }

  render() {
    const only = this.filter.value;
    const rows = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      const key = keyOf(e);
      if (only && key !== only) continue;
      const who = `${e.system}${e.peer === null ? '' : ` → ${e.peer}`}`;
      if (e.kind === 'error') {
        rows.push(
          h(
            'li',
            { 'data-kind': 'error', 'data-key': key },
            h('span', { class: 'time' }, this.time(e.t)),
            `${who}: ${e.code}: ${e.message}`,
          ),
        );
        continue;
      }
      const changed = e.fromState !== e.toState;
      rows.push(
        h(
          'li',
          { 'data-kind': 'transition', 'data-key': key, 'data-to': e.toState, 'data-t': e.t },
          h('span', { class: 'time' }, this.time(e.t)),
          `${who} `,
          changed
            ? h('span', { class: 'public' }, badge(e.fromState), ' → ', badge(e.toState))
            : badge(e.toState),
          h('span', { class: 'detail' }, `${e.from} → ${e.to} on ${e.event}`),
        ),
      );
    }
    if (this.dropped > 0)
      rows.push(h('li', {}, `${this.dropped} older entries were dropped (the page read too slowly)`));
    this.list.replaceChildren(...rows);
  }
}
