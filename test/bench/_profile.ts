import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';

// CPU profiles for the renderer benchmark's --profile: the page's through Chromium's DevTools
// protocol, and this process's (the browser host runs the main-process services in-process) through
// the inspector. Both are written as .cpuprofile files; summariseProfile lists the top self times.

export interface Profiles {
  stop(): Promise<void>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

let hostSession: Session | null = null;

/** Starts profiling the page and this process; stop() writes <dir>/<name>.{renderer,host}.cpuprofile and prints the top self times. */
export async function startProfiles(page: Page, dir: string, name: string): Promise<Profiles> {
  await mkdir(dir, { recursive: true });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  if (!hostSession) {
    hostSession = new Session();
    hostSession.connect();
    await hostSession.post('Profiler.enable');
  }
  const host = hostSession;
  await host.post('Profiler.setSamplingInterval', { interval: 500 });
  await host.post('Profiler.start');
  return {
    async stop() {
      const [renderer, main] = await Promise.all([cdp.send('Profiler.stop'), host.post('Profiler.stop')]);
      await cdp.detach();
      for (const [side, profile] of [['renderer', renderer.profile], ['host', main.profile]] as const) {
        await writeFile(path.join(dir, `${name}.${side}.cpuprofile`), JSON.stringify(profile));
        console.log(JSON.stringify({ bench: 'profile', name, side, top: topSelfTimes(profile as CpuProfile, 15) }));
      }
    },
  };
}

/** The functions with the most self time, as "name (file:line)" and ms. */
export function topSelfTimes(profile: CpuProfile, count: number): Array<{ fn: string; selfMs: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} (${url.split('/').slice(-2).join('/')}:${lineNumber + 1})`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, ms]) => ({ fn, selfMs: Math.round(ms) }));
}
