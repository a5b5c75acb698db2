// Where the CPU goes: CPU seconds of this process's children (the fakes' server, the token API,
// Redis, memcached; the workers measure their own), read from Linux's /proc and labelled by their command line. On
// systems without /proc the list is empty.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** The label of the provider fakes' process. */
export const providerFakesLabel = 'provider fakes (Stripe + PayPal)';

/** How a child is named in the figures, by a part of its command line. */
const labels: readonly (readonly [string, string])[] = [
  ['fake-server-child', providerFakesLabel],
  ['token-server-child', 'token-import API fake'],
  ['redis-server', 'Redis'],
  ['memcached', 'memcached'],
];

/** Reads a /proc file, or `undefined` when it is not there. */
function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Process ids of this process's children. */
function childProcessIds(): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const ids = tasks.flatMap((task) => (readProcFile(`/proc/self/task/${task}/children`) ?? '').split(' ').filter((id) => id.trim() !== ''));
  return [...new Set(ids.map(Number))];
}

/** CPU seconds (user + system) of a process, or `undefined` once it is gone. */
function cpuSecondsOfProcess(processId: number): number | undefined {
  const stat = readProcFile(`/proc/${processId}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the command (in parentheses, which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** CPU seconds by label, summed over this process's children (unlabelled helpers are left out). */
export function childrenCpuSeconds(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const processId of childProcessIds()) {
    const commandLine = (readProcFile(`/proc/${processId}/cmdline`) ?? '').replaceAll('\0', ' ');
    const label = labels.find(([part]) => commandLine.includes(part))?.[1];
    const seconds = cpuSecondsOfProcess(processId);
    if (label === undefined || seconds === undefined) continue;
    totals[label] = (totals[label] ?? 0) + seconds;
  }
  return totals;
}

/** The difference of two samples of `childrenCpuSeconds`. */
export function cpuSecondsBetween(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([label, seconds]) => [label, seconds - (before[label] ?? 0)]));
}
