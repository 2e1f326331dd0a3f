import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

// DESIGN section 3: which layer may import which. server.ts, cli.ts, index.ts and commands wire everything.
const allowed: Record<string, string[]> = {
  core: [],
  store: ['core'],
  instrumentation: ['core'],
  sessions: ['core', 'store', 'instrumentation'],
  proxy: ['core', 'store', 'instrumentation', 'sessions'],
  tools: ['core', 'store', 'instrumentation', 'sessions'],
  resources: ['core', 'store', 'instrumentation', 'sessions'],
  prompts: ['core', 'store', 'instrumentation', 'sessions'],
  otel: ['core', 'store', 'instrumentation', 'sessions'],
  http: ['core', 'store', 'instrumentation', 'sessions', 'otel'],
};

const srcDir = resolve(__dirname, '..', 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): string | undefined {
  const rel = relative(srcDir, file).split(/[\\/]/);
  return rel.length > 1 ? rel[0] : undefined;
}

describe('architecture', () => {
  it('keeps the dependency direction of DESIGN section 3', () => {
    const violations: string[] = [];
    for (const file of filesUnder(srcDir)) {
      const layer = layerOf(file);
      if (!layer || !(layer in allowed)) continue;
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = resolve(dirname(file), match[1]!);
        const targetLayer = layerOf(target) ?? relative(srcDir, target);
        if (targetLayer === layer) continue;
        if (!allowed[layer]!.includes(targetLayer)) violations.push(`${relative(srcDir, file)} imports ${match[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('writes nothing to stdout from library code', () => {
    const offenders = filesUnder(srcDir)
      .filter((f) => !f.endsWith('cli.ts'))
      .filter((f) => /\bconsole\.(log|info)\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(srcDir, f));
    expect(offenders).toEqual([]);
  });
});
