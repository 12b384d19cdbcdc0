// Worker thread body of Checkpointer (checkpointer.ts): its own connection copies the WAL back into the
// database file every `intervalMs` until told to stop.
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

parentPort!.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
