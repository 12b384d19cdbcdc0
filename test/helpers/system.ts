// Suites that need system packages (not npm ones) skip when they are missing, say so, and record it so that
// scripts/test.mjs can end the run with one line naming them and the command that installs what they need.
import { appendFileSync } from 'node:fs';
import { findOnPath } from '../../src/executor/native.js';

/** Command → the Debian package that provides it (what scripts/setup-system.sh installs). */
const PACKAGES = {
  bwrap: 'bubblewrap',
  chromium: 'chromium',
  tmux: 'tmux',
  strace: 'strace',
  gcc: 'gcc',
  prlimit: 'util-linux',
} as const;
export type SystemCommand = keyof typeof PACKAGES;

export const SETUP_COMMAND = 'npm run setup-system';

/** `false` when every command is installed; otherwise the skip reason (printed, and recorded for the summary). */
export function systemSkip(suite: string, commands: SystemCommand[]): string | false {
  const missing = commands.filter((c) => !findOnPath(c)).map((c) => PACKAGES[c]);
  if (missing.length === 0) return false;
  const reason = `${suite} needs ${missing.join(', ')} (install: ${SETUP_COMMAND})`;
  console.log(`# skipped: ${reason}`);
  const record = process.env.ENIGMA_TEST_SKIPS;
  if (record) appendFileSync(record, `${JSON.stringify({ suite, missing })}\n`);
  return reason;
}
