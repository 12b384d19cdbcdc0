// Worker thread body of Checkpointer (checkpointer.ts): its own connection copies the WAL back into the
// database file every `intervalMs`, truncates the WAL when asked, and stops when told to.
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

parentPort!.on('message', (m: 'truncate' | 'stop') => {
  if (m === 'truncate') {
    // Asked while the main thread holds its writes back: copies every frame, syncs the database file, then
    // empties the WAL (the same order as above, so nothing answered is lost). busy = 1 if a reader held on.
    let busy = 1;
    try {
      busy = (db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>)[0]!.busy;
    } finally {
      parentPort!.postMessage({ truncated: busy === 0 });
    }
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
