import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { packageRoot } from '../../src/paths.js';
import { defer } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/registry.js';
import { systemSkip } from '../helpers/system.js';

const WRITER = join(packageRoot, 'dist/test/helpers/sqlite-writer.js');
const skip = systemSkip('SQLite durability (strace)', ['strace']);

interface Syscall {
  tid: number;
  name: string;
  args: string;
  result: string;
}

/** Runs the writer under strace and returns its syscalls in order (strace -f writes them as they complete). */
function traced(dbPath: string, args: string[]): { calls: Syscall[]; pid: number } {
  const dir = tempDir('enigma-strace-');
  try {
    const out = join(dir.path, 'trace');
    const r = spawnSync(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=openat,pwrite64,write,fdatasync,fsync',
        '-o',
        out,
        process.execPath,
        WRITER,
        dbPath,
        ...args,
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    // With several threads strace splits a call that another thread interrupts into `name(args <unfinished ...>`
    // and `<... name resumed>rest) = result`; the call is put back together where it completed.
    const started = new Map<number, string>();
    const calls = readFileSync(out, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const tid = Number(/^(\d+)\s+/.exec(line)?.[1]);
        let l = line.replace(/^\d+\s+/, '');
        if (l.endsWith(' <unfinished ...>')) {
          started.set(tid, l.slice(0, -' <unfinished ...>'.length));
          return [];
        }
        const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(l);
        if (resumed) {
          l = (started.get(tid) ?? '') + resumed[1];
          started.delete(tid);
        }
        const m = /^(\w+)\((.*)\)\s+=\s+(.*)$/.exec(l);
        return m ? [{ tid, name: m[1]!, args: m[2]!, result: m[3]! }] : [];
      });
    return { calls, pid: calls[0]!.tid };
  } finally {
    dir.remove();
  }
}

/** The descriptors a trace opened on `suffix` (the database file, or its -wal). */
function fdsOf(calls: Syscall[], path: string): Set<string> {
  return new Set(
    calls
      .filter((c) => c.name === 'openat' && c.args.includes(`"${path}"`) && /^\d+$/.test(c.result))
      .map((c) => c.result),
  );
}

const fdArg = (c: Syscall) => c.args.split(',')[0]!;

test('an answered SQLite write was synced to disk first, by a thread other than the event loop', { skip }, (t) => {
  const dir = tempDir(t);
  const db = join(dir.path, 'd.sqlite3');
  const { calls, pid } = traced(db, ['5']);
  const wal = fdsOf(calls, `${db}-wal`);
  assert.ok(wal.size > 0, 'the WAL was opened');
  for (let i = 1; i <= 5; i++) {
    const answered = calls.findIndex(
      (c) => c.name === 'write' && fdArg(c) === '1' && c.args.includes(`answered ${i}\\n`),
    );
    assert.ok(answered > 0, `answer ${i} is in the trace`);
    const lastWalWrite = calls.findLastIndex((c, k) => k < answered && c.name === 'pwrite64' && wal.has(fdArg(c)));
    assert.ok(lastWalWrite >= 0, `write ${i} reached the WAL before its answer`);
    const sync = calls.findIndex(
      (c, k) => k > lastWalWrite && k < answered && c.name === 'fdatasync' && wal.has(fdArg(c)) && c.result === '0',
    );
    assert.ok(sync > 0, `the WAL was fdatasync'ed between write ${i}'s commit and its answer`);
    assert.notEqual(calls[sync]!.tid, pid, 'the sync ran off the event-loop thread');
  }
});

test('checkpoints sync the database file off the event loop; closing leaves everything in it and no WAL', {
  skip,
}, (t) => {
  const dir = tempDir(t);
  const db = join(dir.path, 'd.sqlite3');
  // Four writes 600 ms apart: the checkpointer (every second) copies the first ones while the writer runs;
  // close copies the rest.
  const { calls, pid } = traced(db, ['4', '600']);
  const files = new Set([...fdsOf(calls, db), ...fdsOf(calls, `${db}-wal`)]);
  const answered = (i: number) => calls.findIndex((c) => c.name === 'write' && c.args.includes(`answered ${i}`));
  const closed = calls.findIndex((c) => c.name === 'write' && c.args.includes('closed'));
  const syncs = calls
    .map((c, k) => ({ c, k }))
    .filter(({ c }) => (c.name === 'fdatasync' || c.name === 'fsync') && files.has(fdArg(c)));
  const dbSyncs = syncs.filter(({ c }) => fdsOf(calls, db).has(fdArg(c)));
  assert.ok(
    dbSyncs.some(({ k }) => k > answered(1) && k < answered(4)),
    'a checkpoint synced the database file while the writer ran',
  );
  // (Creating the file and switching it to WAL, before the first write, syncs on the event loop: once.)
  assert.deepEqual(
    syncs.filter(({ c, k }) => k > answered(1) && k < answered(4) && c.tid === pid),
    [],
    'no sync ran on the event-loop thread while it served writes',
  );
  assert.ok(
    dbSyncs.some(({ k }) => k > answered(4) && k < closed),
    'close synced the database file',
  );
  assert.equal(existsSync(`${db}-wal`), false, 'the WAL is gone after close');
  const reopened = new Database(db, { readonly: true });
  defer(t, () => reopened.close());
  assert.deepEqual(reopened.prepare('SELECT i FROM t ORDER BY i').pluck().all(), [1, 2, 3, 4]);
});

test('answered writes survive the process being killed (SIGKILL) before any checkpoint', async (t) => {
  const dir = tempDir(t);
  const db = join(dir.path, 'd.sqlite3');
  const child = spawn(process.execPath, [WRITER, db, '20', '0', '--no-close'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('waiting')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${out}`)));
  });
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(`${db}-wal`), 'the data is still in the WAL (no checkpoint ran)');
  const reopened = new Database(db);
  defer(t, () => reopened.close());
  assert.equal(reopened.prepare('SELECT count(*) FROM t').pluck().get(), 20);
});

test('when a sync of the WAL fails once (EIO injected), that write and every later one are refused', { skip }, (t) => {
  const dir = tempDir(t);
  // strace makes the first fdatasync fail with EIO, as a failing disk would (SQLite itself only calls fsync).
  // Later syncs would succeed, but after a failed one nothing is known about what reached the disk.
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-o',
      '/dev/null',
      '-e',
      'trace=fdatasync',
      '-e',
      'inject=fdatasync:error=EIO:when=1',
      process.execPath,
      WRITER,
      join(dir.path, 'd.sqlite3'),
      '3',
    ],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^refused 1: syncing .*-wal failed \(EIO.*refused until restart$/);
  assert.match(lines[1]!, /^refused 2: .*refused until restart$/);
  assert.match(lines[2]!, /^refused 3: .*refused until restart$/);
  assert.match(lines[3]!, /^writable: syncing .*-wal failed/);
  assert.ok(!r.stdout.includes('answered'), r.stdout);
});
