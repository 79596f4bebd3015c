import { readdirSync, readFileSync } from 'node:fs';

// Who had the CPU during a stretch of a benchmark (Linux, from /proc): this process (playwright,
// and the browser host's main-process services when they run in it), a host process it started,
// and each Chromium process it started (browser, renderer, GPU, network service), in CPU ms, with the whole machine's busy share beside them. On a
// 2-core machine a page that waits while its own thread is idle is waiting for a core.

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
      const byThread = new Map<string, number>();
      for (const [key, { name, ticks }] of threads) {
        const spent = ticks - (threadsBefore.get(key)?.ticks ?? 0);
        byThread.set(name, (byThread.get(name) ?? 0) + (spent * 1000) / ticksPerSecond);
      }
      const threadsMs = Object.fromEntries([...byThread].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).slice(0, 10));
      const machineEnd = machineTicks();
      const cpuMs: Record<string, number> = {};
      for (const [pid, { kind, ticks }] of after) {
        const spent = ticks - (before.get(pid)?.ticks ?? 0);
        cpuMs[kind] = (cpuMs[kind] ?? 0) + (spent * 1000) / ticksPerSecond;
      }
      const all = machineEnd.all - machineStart.all;
      const idle = machineEnd.idle - machineStart.idle;
      const cores = readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d/.test(line)).length;
      return { wallMs: Math.round(performance.now() - started), cpuMs, threadsMs, machineBusyPct: all > 0 ? Math.round(100 * (1 - idle / all)) : 0, cores };
    },
  };
}

function machineTicks(): { idle: number; all: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + fields[4], all: fields.reduce((a, b) => a + b, 0) };
}

/** This process and its descendants: CPU ticks (user + system) and kind. */
function processTicks(): Map<number, { kind: string; ticks: number }> {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
      ticks.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = new Map<number, { kind: string; ticks: number }>();
  for (const [pid, spent] of ticks) {
    let up = pid;
    while (up > 1 && up !== process.pid) up = parents.get(up) ?? 0;
    if (up !== process.pid) continue;
    ours.set(pid, { kind: pid === process.pid ? 'bench' : kindOf(pid), ticks: spent });
  }
  return ours;
}

/** Per thread of those processes (`pid:tid`): `kind/thread name` and CPU ticks. */
function threadTicks(processes: Map<number, { kind: string }>): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const [pid, { kind }] of processes) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}:${tid}`, { name: `${kind}/${name}`, ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // gone meanwhile
      }
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
