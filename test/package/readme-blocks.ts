/**
 * The code blocks of README.md that are meant to run: every ```ts block. A block that imports
 * vitest is a test file; any other is a script that must run to its end.
 */

/** One runnable block of README.md. */
export interface ReadmeBlock {
  /** File name to write it to: `readme-<n>.ts`, or `readme-<n>.test.ts` for a test file. */
  file: string;
  code: string;
  /** Whether it is a vitest file. */
  test: boolean;
}

/** Extracts the ```ts blocks of a Markdown text, in order. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  for (const match of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const code = match[1] ?? '';
    const test = /from 'vitest'/.test(code);
    const n = blocks.length + 1;
    blocks.push({ file: `readme-${n}${test ? '.test' : ''}.ts`, code, test });
  }
  return blocks;
}
