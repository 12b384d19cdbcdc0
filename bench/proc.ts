// What Linux tells about a server process under load: peak RSS, CPU time, and pinning to cores.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks per second: the unit of the CPU times in /proc/<pid>/stat. */
export const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

export function peakRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by a whole process, or by one of its threads when `tid` is given. */
export function cpuSeconds(pid: number | undefined, tid?: number): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces) start at `state`; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU seconds used so far by each running process whose command name is `comm` (e.g. the local `postgres`). */
export function cpuByPid(comm: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue; // exited meanwhile
    }
    const cpu = cpuSeconds(Number(entry));
    if (cpu !== null) found.set(Number(entry), cpu);
  }
  return found;
}

/**
 * CPU seconds those processes spent between two `cpuByPid` readings: one started in between counts whole,
 * one that exited in between is missed. null when the second reading found none (the server is elsewhere).
 */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number | null {
  if (after.size === 0) return null;
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

export const canPin = spawnSync('taskset', ['-V']).status === 0;

/** Restricts every thread of `pid` (and the threads it starts later) to `cpus` (a taskset list such as "1-3"). */
export function pin(pid: number | undefined, cpus: string): void {
  if (pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
