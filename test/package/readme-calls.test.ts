// The README's table of /api calls against the OpenAPI document: every status code a route declares is
// listed in the "answers" column of its row, so the table cannot fall behind the routes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/paths.js';
import { call, startTestRegistry } from '../helpers/registry.js';

interface Row {
  method: string;
  path: string;
  answers: string;
}

/** Rows of the table whose header is `| call | what it does | answers |`: the first `METHOD /path` of each. */
function callRows(readme: string): Row[] {
  const start = readme.indexOf('| call | what it does | answers |');
  assert.ok(start >= 0, 'README.md has no calls table with an answers column');
  const lines = readme.slice(start).split('\n').slice(2);
  const rows: Row[] = [];
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    const m = /`([A-Z]+)(?:\\\|[A-Z]+)? (\/[^`?[]*)/.exec(cells[0] ?? '');
    assert.ok(m, `no METHOD /path in ${cells[0]}`);
    rows.push({ method: m[1]!, path: m[2]!, answers: cells[2] ?? '' });
  }
  return rows;
}

test('every status code of each call in the README table is the set its route declares', async (t) => {
  const rows = callRows(readFileSync(join(packageRoot, 'README.md'), 'utf8'));
  assert.ok(rows.length >= 15, `only ${rows.length} rows`);
  const reg = await startTestRegistry({ metrics: { enabled: true } }, { t });
  const doc = (
    await call<{ paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> }>(
      reg.url,
      'GET',
      '/api/swagger',
    )
  ).body;
  for (const row of rows) {
    const op = doc.paths[row.path]?.[row.method.toLowerCase()];
    assert.ok(op, `README lists ${row.method} ${row.path}, which the OpenAPI document does not have`);
    for (const code of Object.keys(op.responses ?? {})) {
      assert.match(
        row.answers,
        new RegExp(`\\b${code}\\b`),
        `${row.method} ${row.path} may answer ${code}; README says: ${row.answers}`,
      );
    }
  }
});
