import { readFileSync } from 'node:fs';

// Where a process's resident memory lives, from /proc/self/smaps (Linux): mapped files (node, its
// libraries, libvips), the brk heap (glibc's main malloc arena), glibc's other arenas (64 MiB
// reservations, one per thread that mallocs) and the other anonymous mappings (V8's heap pages,
// thread stacks), in MiB. Null where /proc is missing.
export function residentBreakdown(): Record<string, number> | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const sums: Record<string, number> = { files: 0, brkHeap: 0, mallocArenas: 0, otherAnon: 0 };
  let kind = 'otherAnon';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const size = parseInt(head[2], 16) - parseInt(head[1], 16);
      const name = head[3];
      // A glibc arena is one 64 MiB-aligned reservation, its used part readable and writable.
      const aligned = parseInt(head[1], 16) % (64 * 1048576) === 0 && size <= 64 * 1048576;
      kind = name.startsWith('/') ? 'files' : name === '[heap]' ? 'brkHeap' : name === '' && aligned ? 'mallocArenas' : 'otherAnon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums[kind] += Number(rss[1]) / 1024;
  }
  for (const key of Object.keys(sums)) sums[key] = Math.round(sums[key]);
  return sums;
}
