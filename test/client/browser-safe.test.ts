import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/paths.js';

// The SDK ships to browsers: its compiled files may import only each other and browser-safe packages.
const CLIENT = join(packageRoot, 'dist', 'src', 'client');
// TypeBox defines the wire schemas (client/wire-*.ts): plain objects, no Node API. Its compiler (typebox/compile,
// which generates code) stays on the server.
const ALLOWED_PACKAGES = /^(@noble\/(hashes|curves|ciphers)\/[\w./-]+\.js|jose|typebox)$/;

test('compiled src/client has no node: imports, no require(), no Node globals, and imports only the SDK and browser-safe packages', () => {
  const files = readdirSync(CLIENT).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('index.js') && files.includes('proof.js'), `compiled SDK not found in ${CLIENT}`);
  const problems: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(CLIENT, f), 'utf8');
    if (/\bnode:/.test(text)) problems.push(`${f}: mentions node:`);
    if (/\brequire\s*\(/.test(text)) problems.push(`${f}: calls require()`);
    if (/\b(Buffer|process)\.|\b__dirname\b/.test(text)) problems.push(`${f}: uses a Node global`);
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(join(CLIENT, f)), spec);
        if (relative(CLIENT, target).startsWith('..')) problems.push(`${f}: imports ${spec}, outside the SDK`);
      } else if (!ALLOWED_PACKAGES.test(spec)) problems.push(`${f}: imports package ${spec}`);
    }
  }
  assert.deepEqual(problems, []);
});
