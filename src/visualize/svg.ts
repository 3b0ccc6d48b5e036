/**
 * Renders Graphviz DOT to SVG offline, with Graphviz compiled to WebAssembly (`@viz-js/viz`, the wasm
 * ships inside the npm package: nothing is fetched).
 */

import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/**
 * Graphviz writes only the font it measured text with (`font-family="DejaVu Sans"`); a browser that
 * lacks it would fall back to its default, often a serif. Similar sans-serif fonts are added after it.
 */
function withFallbackFonts(svg: string): string {
  return svg.replace(/font-family="([^",]+)"/g, (_, family: string) =>
    /serif|mono|courier|times/i.test(family)
      ? `font-family="${family}"`
      : `font-family="${family},Helvetica,Arial,sans-serif"`,
  );
}

/** Renders DOT source to an SVG document; throws on any Graphviz error or warning. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  const problems = result.errors.map((e) => `${e.level ?? 'error'}: ${e.message.trim()}`);
  if (result.status !== 'success' || problems.length > 0) {
    throw new Error(`graphviz could not render the chart cleanly:\n${problems.join('\n')}`);
  }
  const svg = withFallbackFonts(result.output);
  return svg.endsWith('\n') ? svg : `${svg}\n`;
}
