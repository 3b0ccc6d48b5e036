/**
 * visualizations/ must be exactly what `npm run visualize` generates from machines/ now: a chart
 * changed without regenerating its diagrams fails here.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { checkVisualizations } from '../../src/node/visualizations.js';

const OUT = fileURLToPath(new URL('../../visualizations/', import.meta.url));

it('visualizations/ is fresh (npm run visualize regenerates it)', async () => {
  const stale = await checkVisualizations(OUT);
  expect(stale, 'visualizations/ differs from the charts: run npm run visualize').toEqual({
    missing: [],
    changed: [],
    extra: [],
  });
});
