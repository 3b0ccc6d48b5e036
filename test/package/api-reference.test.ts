/**
 * The API reference (`npm run docs`: typedoc with typedoc.json) has nothing to warn about: every
 * export of every entry in package.json "exports" is documented, every type a public signature names
 * is exported (or listed in typedoc.json as internal), and every `{@link}` resolves. typedoc converts
 * and validates in process with that same options file and writes nothing; its messages are collected
 * so that a failure lists them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Application, Logger, LogLevel, PackageJsonReader, TSConfigReader, TypeDocReader } from 'typedoc';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './consumer-project.js';

/** Keeps every warning and error typedoc logs, instead of printing them. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];

  override log(message: string, level: LogLevel): void {
    if (level >= LogLevel.Warn) this.messages.push(message);
  }
}

const readJson = (name: string) => JSON.parse(readFileSync(join(repoRoot, name), 'utf8'));

describe('API reference', () => {
  it('documents every entry of package.json "exports"', () => {
    const exports = readJson('package.json').exports as Record<string, { default: string }>;
    // ./dist/src/server/index.js is built from src/server/index.ts.
    const sources = Object.values(exports).map((entry) =>
      entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'),
    );
    expect([...(readJson('typedoc.json').entryPoints as string[])].sort()).toEqual(sources.sort());
  });

  // typedoc builds its own TypeScript program of machines/ and src/: a guard against a hang, not a
  // speed check.
  it('typedoc reports no warning', { timeout: 300_000 }, async () => {
    const app = await Application.bootstrapWithPlugins(
      {
        options: join(repoRoot, 'typedoc.json'),
        // The suite's first stage typechecks; source links need git and change nothing to validate.
        skipErrorChecking: true,
        disableSources: true,
      },
      [new TypeDocReader(), new PackageJsonReader(), new TSConfigReader()],
    );
    expect(app.logger.hasErrors() || app.logger.hasWarnings(), 'typedoc.json (see the output)').toBe(false);
    const logger = new CollectingLogger();
    app.logger = logger;
    const project = await app.convert();
    expect(project, logger.messages.join('\n')).toBeDefined();
    if (project) app.validate(project);
    expect(logger.messages, `${logger.messages.length} typedoc warning(s)`).toEqual([]);
  });
});
