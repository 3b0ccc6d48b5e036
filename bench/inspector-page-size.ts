/**
 * `npm run bench -- inspector-page`: the inspector page's size on the wire at first load. An
 * inspector with no system attached serves the page to Debian's Chromium (tools/stacks/chromium.ts),
 * which asks for gzip as browsers do; every HTTP response of the load (the page, its modules, the
 * style sheet, the icon and the peer chart) is counted with the sizes Chromium reports: the body as
 * transferred (gzipped) and the headers. The WebSocket's frames are not counted (they depend on the
 * systems shown). With `json` the last stdout line is `{"files","bodyBytes","headerBytes","totalBytes"}`.
 */
import { startInspector } from '../src/node/index.js';
import { launchChromium } from '../tools/stacks/chromium.js';

/** One response of the first load, its path and sizes in bytes. */
interface Loaded {
  path: string;
  bodyBytes: number;
  headerBytes: number;
}

/** Loads the page once in Chromium and resolves with every response of the load. */
export async function measureInspectorPage(): Promise<Loaded[]> {
  const inspector = await startInspector();
  const chromium = await launchChromium();
  try {
    const page = await chromium.context.newPage();
    const responses: Promise<Loaded>[] = [];
    page.on('response', (response) => {
      responses.push(
        response
          .request()
          .sizes()
          .then((sizes) => ({
            path: new URL(response.url()).pathname,
            bodyBytes: sizes.responseBodySize,
            headerBytes: sizes.responseHeadersSize,
          })),
      );
    });
    await page.goto(inspector.url, { waitUntil: 'networkidle' });
    // The chart is fetched by the page's module once it runs: the load is over when it is drawn.
    await page.waitForSelector('#chart svg', { timeout: 30_000 });
    return await Promise.all(responses);
  } finally {
    await chromium.close();
    await inspector.close();
  }
}

/** Prints one line per response and the totals; resolves with the exit code (1 if the load failed). */
export async function runInspectorPageBench(options: { json: boolean }): Promise<number> {
  try {
    const loaded = await measureInspectorPage();
    for (const file of loaded)
      console.log(
        `${file.path.padEnd(16)} body ${String(file.bodyBytes).padStart(6)} B  headers ${file.headerBytes} B`,
      );
    const bodyBytes = loaded.reduce((sum, f) => sum + f.bodyBytes, 0);
    const headerBytes = loaded.reduce((sum, f) => sum + f.headerBytes, 0);
    console.log(
      `${loaded.length} files: ${bodyBytes} B of gzipped bodies + ${headerBytes} B of headers = ${bodyBytes + headerBytes} B`,
    );
    if (options.json)
      console.log(
        JSON.stringify({ files: loaded.length, bodyBytes, headerBytes, totalBytes: bodyBytes + headerBytes }),
      );
    return 0;
  } catch (error) {
    process.stderr.write(
      `inspector-page failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}
