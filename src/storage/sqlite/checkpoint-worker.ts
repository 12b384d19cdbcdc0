// Worker thread body of Checkpointer (checkpointer.ts): its own connection copies the WAL back into the
// database file every `intervalMs`, restarts the WAL when asked, and stops when told to.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// A checkpoint under NORMAL syncs the WAL before copying and the database file after, and only then marks
// the frames as copied: a writer reuses the WAL only once its content is durable in the database file.
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
// PASSIVE: copies what no reader still needs and never waits for the writer, which goes on meanwhile.
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), intervalMs);

parentPort!.on('message', (m: 'restart' | 'stop') => {
  if (m === 'restart') {
    // Asked while the main thread holds its writes back: copies every frame and syncs the database file (the
    // same order as above, so nothing answered is lost), after which the next commit writes the WAL from its
    // start again. RESTART, not TRUNCATE: the file keeps its size (SQLite cuts it to journal_size_limit), so
    // later commits overwrite blocks already there and a sync need not write the inode too (an fdatasync that
    // grows a file cost 70-98 µs of CPU here, one that overwrites 49-54). busy = 1 if a reader held on.
    let busy = 1;
    try {
      busy = (db.pragma('wal_checkpoint(RESTART)') as Array<{ busy: number }>)[0]!.busy;
    } finally {
      parentPort!.postMessage({ restarted: busy === 0 });
    }
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
