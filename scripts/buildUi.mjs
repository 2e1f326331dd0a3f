#!/usr/bin/env node
// Bundles the browser UI (ui/src/main.ts and the CSS it imports) with esbuild into content-hashed
// files under dist/ui/assets/, writes dist/ui/index.html referencing them and
// dist/ui/manifest.json listing them. The gateway serves these files; nothing comes from a CDN.
// Usage: node scripts/buildUi.mjs [--dev]   (--dev: no minification, inline source maps)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'ui');
const assetsDir = join(outDir, 'assets');
const dev = process.argv.includes('--dev');

// Old hashed files would pile up otherwise (and be shipped in the package).
rmSync(outDir, { recursive: true, force: true });
mkdirSync(assetsDir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'ui', 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  outdir: assetsDir,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  metafile: true,
  legalComments: 'none',
  tsconfig: join(root, 'ui', 'tsconfig.json'),
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const scripts = outputs.filter((f) => f.endsWith('.js'));
const styles = outputs.filter((f) => f.endsWith('.css'));
if (scripts.length !== 1) throw new Error(`expected one script bundle, got ${scripts.join(', ')}`);

const escape = (s) => s.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c]);
const template = readFileSync(join(root, 'ui', 'index.html'), 'utf8');
const html = template
  .replace('<!--STYLES-->', styles.map((f) => `<link rel="stylesheet" href="/assets/${escape(f)}">`).join('\n'))
  .replace('<!--SCRIPTS-->', scripts.map((f) => `<script type="module" src="/assets/${escape(f)}"></script>`).join('\n'));
writeFileSync(join(outDir, 'index.html'), html);
const manifest = { index: 'index.html', scripts, styles, assets: outputs, built_at: new Date().toISOString() };
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`ui: ${outputs.join(', ')} -> ${relative(root, outDir)}/\n`);
