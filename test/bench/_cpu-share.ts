import { readdirSync, readFileSync } from 'node:fs';

// Who had the CPU during a stretch of a benchmark (Linux, from /proc): this process (playwright,
// and the browser host's main-process services when they run in it), a host process it started,
// and each Chromium process it started (browser, renderer, GPU, network service), in CPU ms, with
// the whole machine's busy share beside them. On a 2-core machine a page that waits while its own
// thread is idle is waiting for a core.

export interface CpuShare {
  wallMs: number;
  /** CPU ms per process kind: 'bench' (this process), 'host' (_host-process.ts), or Chromium's
   *  `--type` / utility service. */
  cpuMs: Record<string, number>;
  /** The busiest threads, as `kind/thread name`, in CPU ms. */
  threadsMs: Record<string, number>;
  /** The machine's busy share over the stretch, all cores and all processes, 0-100. */
  machineBusyPct: number;
  cores: number;
}

const ticksPerSecond = 100; // USER_HZ: 100 on every Linux the benchmarks run on

/** Starts counting; `stop` answers the shares since. Null where /proc cannot be read. */
export function startCpuShare(): { stop(): CpuShare } | null {
  let machineStart: { idle: number; all: number };
  try {
    machineStart = machineTicks();
  } catch {
    return null;
  }
  const started = performance.now();
  const before = processTicks();
  const threadsBefore = threadTicks(before);
  return {
    stop() {
      const after = processTicks();
      const threads = threadTicks(after);
      const machineEnd = machineTicks();
      const byThread = spentMs(threads, threadsBefore);
      const threadsMs = Object.fromEntries(Object.entries(byThread).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).slice(0, 10));
      const all = machineEnd.all - machineStart.all;
      const idle = machineEnd.idle - machineStart.idle;
      const cores = readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d/.test(line)).length;
      return { wallMs: Math.round(performance.now() - started), cpuMs: spentMs(after, before), threadsMs, machineBusyPct: all > 0 ? Math.round(100 * (1 - idle / all)) : 0, cores };
    },
  };
}

interface Counted {
  /** What the CPU is summed under: a process kind, or `kind/thread name`. */
  name: string;
  ticks: number;
}

/** CPU ms spent between two counts, summed by name (a process or thread gone since counts nothing). */
function spentMs<K>(after: Map<K, Counted>, before: Map<K, Counted>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, { name, ticks }] of after) out[name] = (out[name] ?? 0) + ((ticks - (before.get(key)?.ticks ?? 0)) * 1000) / ticksPerSecond;
  return out;
}

function machineTicks(): { idle: number; all: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + fields[4], all: fields.reduce((a, b) => a + b, 0) };
}

/** A process's or thread's /proc stat line: its name, parent and CPU ticks (user + system); null
 *  when it is gone. */
function readStat(file: string): { comm: string; parent: number; ticks: number } | null {
  let stat: string;
  try {
    stat = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  // The name is in parentheses and may hold spaces or parentheses itself: fields follow the last.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** This process and its descendants, by pid: kind and CPU ticks. */
function processTicks(): Map<number, Counted> {
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(`/proc/${name}/stat`);
    if (stat) stats.set(Number(name), stat);
  }
  const ours = new Map<number, Counted>();
  for (const [pid, { ticks }] of stats) {
    let up = pid;
    while (up > 1 && up !== process.pid) up = stats.get(up)?.parent ?? 0;
    if (up !== process.pid) continue;
    ours.set(pid, { name: pid === process.pid ? 'bench' : kindOf(pid), ticks });
  }
  return ours;
}

/** Per thread of those processes (`pid:tid`): `kind/thread name` and CPU ticks. */
function threadTicks(processes: Map<number, Counted>): Map<string, Counted> {
  const out = new Map<string, Counted>();
  for (const [pid, { name: kind }] of processes) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (stat) out.set(`${pid}:${tid}`, { name: `${kind}/${stat.comm}`, ticks: stat.ticks });
    }
  }
  return out;
}

function kindOf(pid: number): string {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'other';
  }
  if (cmd.includes('_host-process')) return 'host';
  if (!cmd.includes('chrom')) return 'other';
  const service = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1];
  if (service) return service.split('.').pop() ?? 'utility';
  return /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
}
