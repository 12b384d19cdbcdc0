// Builds the ceremony page assets into build/web/: type-checks the sources for the browser, then bundles
// them with esbuild into content-hashed files (same sources → same bytes and names) plus manifest.json,
// which the server reads to link them. Everything is served by the registry itself: no CDN, no fonts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `node web/build.mjs [OUT_DIR]`: the tests build into a temporary directory to check reproducibility.
const out = resolve(process.argv[2] ?? join(root, 'build', 'web'));

const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'web', 'tsconfig.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('web: type errors in the page sources');
  process.exit(1);
}

// Built beside the target, then renamed into place: a registry starting meanwhile never reads half a build.
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const result = await build({
  entryPoints: [join(root, 'web', 'ceremony', 'ceremony.ts'), join(root, 'web', 'ceremony', 'ceremony.css')],
  absWorkingDir: root,
  outdir: tmp,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  logLevel: 'warning',
});

// manifest.json: logical name (ceremony.js, ceremony.css) → hashed file name.
const manifest = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = basename(file);
  manifest[`${basename(meta.entryPoint).replace(/\.ts$/, '.js')}`] = name;
}
writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, Object.keys(manifest).sort(), 2)}\n`);
rmSync(out, { recursive: true, force: true });
try {
  renameSync(tmp, out);
} catch (e) {
  // A concurrent build renamed its output first; the build is reproducible, so its files equal ours.
  if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`web: ${Object.values(manifest).join(', ')} → ${relative(root, out)}/`);
