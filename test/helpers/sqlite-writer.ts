// A child process for test/storage/sqlite-durability.test.ts: performs `count` writes through write() on the
// SQLite file given as argv[2], `pause` ms apart, and prints `answered <i>` (or `refused <i>: <reason>`) on
// stdout as each one settles (its own write(2) call, so a syscall trace shows where the answer falls), then
// `writable: yes` or why not. Then closes, or with `--no-close` waits to be killed.
import { writeSync } from 'node:fs';
import { checkWritable, closeSqlite, openSqlite, write } from '../../src/storage/sqlite/db.js';

const [path, count = '1', pause = '0', mode] = process.argv.slice(2);
const db = openSqlite(path!);
db.exec('CREATE TABLE IF NOT EXISTS t (i INTEGER PRIMARY KEY, v TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO t (i, v) VALUES (?, ?)');
const base = (db.prepare('SELECT count(*) FROM t').pluck().get() as number) + 1;
for (let i = base; i < base + Number(count); i++) {
  try {
    await write(db, () => insert.run(i, `value ${i}`));
    writeSync(1, `answered ${i}\n`);
  } catch (e) {
    writeSync(1, `refused ${i}: ${(e as Error).message}\n`);
  }
  if (Number(pause) > 0) await new Promise((r) => setTimeout(r, Number(pause)));
}
try {
  checkWritable(db);
  writeSync(1, 'writable: yes\n');
} catch (e) {
  writeSync(1, `writable: ${(e as Error).message}\n`);
}
if (mode === '--no-close') {
  writeSync(1, 'waiting\n');
  setInterval(() => undefined, 1000);
} else {
  await closeSqlite(db);
  writeSync(1, 'closed\n');
}
