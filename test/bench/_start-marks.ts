// The in-page wait the start benchmarks share: until the full count and the first screen's
// thumbnails show, checked every frame, each moment noted once in `marks` (ms since navigation),
// and when the grid mounted.

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
