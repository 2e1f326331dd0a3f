import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** One built file of the browser UI, held in memory. */
export interface UiAsset {
  body: Buffer;
  contentType: string;
  /** Strong ETag (quoted) of the body. */
  etag: string;
}

/** The built UI: its index page and hashed assets by file name. */
export interface UiBundle {
  index: UiAsset;
  assets: ReadonlyMap<string, UiAsset>;
}

const ManifestSchema = z.object({
  index: z.string().regex(/^[\w.-]+$/),
  assets: z.array(z.string().regex(/^[\w.-]+\.(js|css)$/)).max(200),
});

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8' };

/**
 * Where `npm run build` puts the UI (`dist/ui`), found from this module whether it runs built
 * (`dist/src/http`) or from sources (`src/http`, under vitest).
 */
export function defaultUiDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, '..', '..', 'ui');
  if (existsSync(join(built, 'manifest.json'))) return built;
  return join(here, '..', '..', 'dist', 'ui');
}

/**
 * Loads the built UI from `dir` (its `manifest.json`, `index.html` and `assets/`), or returns
 * undefined with the reason when it is missing or malformed (the gateway then serves a page
 * saying how to build it). Read once: the files are small and immutable per build.
 */
export function loadUiBundle(dir: string): { bundle: UiBundle } | { missing: string } {
  let manifest: z.infer<typeof ManifestSchema>;
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    if (!parsed.success) return { missing: `${join(dir, 'manifest.json')} is malformed` };
    manifest = parsed.data;
  } catch (err) {
    return { missing: `no built UI at ${dir} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
  try {
    const assets = new Map<string, UiAsset>();
    for (const name of manifest.assets) assets.set(name, asset(readFileSync(join(dir, 'assets', name)), name));
    return { bundle: { index: asset(readFileSync(join(dir, manifest.index)), manifest.index), assets } };
  } catch (err) {
    return { missing: `the built UI at ${dir} is incomplete (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): rebuild it` };
  }
}

function asset(body: Buffer, name: string): UiAsset {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return { body, contentType: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}
