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

/**
 * Renders DOT source to an SVG document. Throws if Graphviz fails; Graphviz warnings (the layout
 * ignored something) go to `onWarning`, by default to stderr.
 */
export async function renderSvg(
  dot: string,
  onWarning: (message: string) => void = (message) => console.warn(`graphviz: ${message}`),
): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const problems = result.errors.map((e) => `${e.level ?? 'error'}: ${e.message.trim()}`);
    throw new Error(`graphviz could not render the chart:\n${problems.join('\n')}`);
  }
  for (const problem of result.errors) onWarning(problem.message.trim());
  const svg = withFallbackFonts(result.output);
  return svg.endsWith('\n') ? svg : `${svg}\n`;
}
