// What the start benchmarks share in the page: the scan's events and long tasks as they come
// (watchScan), and the wait until the full count and the first screen's thumbnails show, checked
// every frame, each moment noted once in `marks` (ms since navigation), and when the grid mounted.

/** Runs before the page's scripts (which ask for the folder at once), as an init script: notes as
 *  soon as window.api exists when each scan batch reached the page's listener (`__batches`, "ms
 *  since navigation:ids"), when the scan's end came and what it said (`__scanDoneAt`, `__cached`,
 *  `__hostMs`), and the page's long tasks (`__longTasks`, "start+duration": a batch that waits
 *  while the page's thread is busy shows behind one). */
export const watchScan = `(() => {
  let api;
  window.__batches = [];
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const task of list.getEntries()) window.__longTasks.push(Math.round(task.startTime) + '+' + Math.round(task.duration));
  }).observe({ type: 'longtask', buffered: true });
  Object.defineProperty(window, 'api', {
    configurable: true,
    get: () => api,
    set: (value) => {
      api = value;
      value.on('scanBatch', (b) => window.__batches.push(Math.round(performance.now()) + ':' + (b.ids.tails ?? b.ids).length));
      value.on('scanDone', (d) => { window.__scanDoneAt = performance.now(); window.__cached = d.cached === true; window.__hostMs = d.ms; });
    },
  });
})()`;

/** Page script (inside an async function with `marks` and `seen(name)` in scope) that resolves
 *  once `countText` is on the page and the first four thumbnails are painted. */
export function untilCountAndThumbs(countText: string): string {
  return `await new Promise((resolve) => {
          const check = () => {
            if (document.querySelector('[role="grid"]')) seen('gridMounted');
            if (document.body && document.body.textContent.includes(${JSON.stringify(countText)})) seen('fullCount');
            const imgs = [...document.querySelectorAll('[role="gridcell"] img')];
            if (imgs.length > 0 && imgs.slice(0, 4).every((img) => img.complete && img.naturalWidth > 0)) seen('firstThumbs');
            if (marks.fullCount !== undefined && marks.firstThumbs !== undefined) resolve();
            else requestAnimationFrame(check);
          };
          check();
        });`;
}

/** Page expression: the page's requests to main so far, from the browser host's shim (which notes
 *  each as a `performance.measure` named `api/<channel>`: they go over its WebSocket, so resource
 *  timing has none), as `{ name, start, end, chars }` in ms since navigation; `end` is when the page's
 *  thread took the answer, which waits for that thread as a resource's `responseEnd` did not. */
export const apiRequests = `performance.getEntriesByType('measure').filter((e) => e.name.startsWith('api/')).map((e) => ({ name: e.name.slice(4), start: e.startTime, end: e.startTime + e.duration, chars: e.detail ? e.detail.chars : 0 }))`;
