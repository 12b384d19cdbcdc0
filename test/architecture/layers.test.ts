// The layer order of src/, enforced: every import goes to the same folder or to a lower layer, and no files
// or folders import each other in a circle. The layers, top to bottom (a folder may import any folder of a
// lower layer, none of its own layer but itself):
//
//   cli, index.ts                           command line; the package entry (startRegistry)
//   app                                     the composition root: context, the assembled app, start, health, metrics
//   web, analysis                           pages; the observation-attack analyser
//   proof                                   challenge → validate, receipts (uses circuits and ledger)
//   directory, circuits, ledger             the other domains, each one Fastify plugin
//   executor, guard, audit                  sandbox; rate limits, PoW, lockout; audit trail
//   storage                                 one interface per domain; memory, sqlite, postgres
//   http                                    the Fastify base: error envelope, bodies, validation, timeouts
//   config, crypto, client                  configuration; server crypto; browser-safe SDK and wire contract
//   errors.ts, version.ts                   leaves (version reads package.json through paths)
//   paths.ts
//
// Type-only imports count too: a layer that names a higher layer's types depends on it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/paths.js';

const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'index.ts'],
  ['app'],
  ['web', 'analysis'],
  ['proof'],
  ['directory', 'circuits', 'ledger'],
  ['executor', 'guard', 'audit'],
  ['storage'],
  ['http'],
  ['config', 'crypto', 'client'],
  ['errors.ts', 'version.ts'],
  ['paths.ts'],
];

const SRC = join(packageRoot, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return e.endsWith('.ts') && !e.endsWith('.d.ts') ? [p] : [];
  });
}

/** The relative imports of a file, resolved to source paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
    if (existsSync(target)) out.push(target);
  }
  return out;
}

/** src/<folder>/… → folder; src/<file>.ts → that file's name. */
const unitOf = (file: string) => relative(SRC, file).split('/')[0]!;
const rankOf = (unit: string) => LAYERS.findIndex((layer) => layer.includes(unit));

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Strongly connected components with more than one member (or a self-import): the cycles. */
function cycles(g: Map<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('every folder of src/ has a layer', () => {
  const unplaced = [...new Set(files.map(unitOf))].filter((u) => rankOf(u) < 0);
  assert.deepEqual(unplaced, [], 'add these to LAYERS (and to the Development section of the README)');
});

const edge = (file: string, target: string) => `${relative(SRC, file)} → ${relative(SRC, target)}`;
const upward = [...graph].flatMap(([file, targets]) =>
  targets
    .filter((t) => unitOf(t) !== unitOf(file) && rankOf(unitOf(t)) <= rankOf(unitOf(file)))
    .map((t) => edge(file, t)),
);

test('imports go to the same folder or to a lower layer', () => {
  assert.deepEqual(upward, []);
});

test('no file imports itself through others', () => {
  assert.deepEqual(
    cycles(graph).map((c) => c.map((f) => relative(SRC, f))),
    [],
  );
});

test('no folder imports itself through others', () => {
  const folders = new Map<string, string[]>();
  for (const [file, targets] of graph) {
    const from = unitOf(file);
    const deps = folders.get(from) ?? [];
    for (const t of targets) if (unitOf(t) !== from && !deps.includes(unitOf(t))) deps.push(unitOf(t));
    folders.set(from, deps);
  }
  assert.deepEqual(cycles(folders), []);
});

test('the checks see real imports: a known downward edge is found', () => {
  // Guards against a regex or path change that would make every check above pass on an empty graph.
  const routes = join(SRC, 'directory', 'routes.ts');
  assert.ok(
    graph.get(routes)?.some((t) => unitOf(t) === 'errors.ts' || unitOf(t) === 'http'),
    'directory/routes.ts imports the error module',
  );
});
