// How long this process's event loop was held at a stretch while some work ran: a chain of
// immediates notes the gap between each turn and the next. A long gap is a time when nothing else
// main serves (a thumbnail, the next listing batch, a click's answer) could be.

export interface LoopBlocks {
  /** The longest gap between two turns, and how many gaps were over 50 ms, since the start. */
  stop(): { longestMs: number; over50: number };
  /** The same so far, watching on. */
  peek(): { longestMs: number; over50: number };
}

export function watchLoopBlocks(): LoopBlocks {
  let last = performance.now();
  let longest = 0;
  let over50 = 0;
  let stopped = false;
  const tick = () => {
    const now = performance.now();
    const gap = now - last;
    if (gap > longest) longest = gap;
    if (gap > 50) over50++;
    last = now;
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  const sofar = () => ({ longestMs: Math.round(Math.max(longest, performance.now() - last)), over50 });
  return {
    stop() {
      stopped = true;
      tick();
      return sofar();
    },
    peek: sofar,
  };
}

/** Runs `work` on this process and answers its value with its wall time, this process's CPU time
 *  and the event loop's longest hold meanwhile: what the benchmarks of main's work report. */
export async function measureOnLoop<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number; loop: { longestMs: number; over50: number } }> {
  const loop = watchLoopBlocks();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const value = await work();
  const ms = Math.round(performance.now() - wall);
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: Math.round((used.user + used.system) / 1000), loop: loop.stop() };
}
