// Zoom and pan of the full view (and of both panes side by side): a scale relative to "fit"
// (the whole image in its pane) and a pan offset in CSS pixels of the image centre from the pane
// centre. Pure, so the rules (limits, zooming about the pointer, 1:1 pixels) are tested apart.

export interface Zoom {
  /** 1 = the image fits its pane. */
  scale: number;
  x: number;
  y: number;
}

export const fitZoom: Zoom = { scale: 1, x: 0, y: 0 };
export const maxZoom = 64;
/** One key press or button step. */
export const zoomStep = 1.25;

const clampScale = (scale: number, min: number) => Math.min(maxZoom, Math.max(min, scale));

/**
 * Zooms by `factor` keeping the point `anchor` (CSS px from the pane centre, e.g. the pointer)
 * where it is; back at fit (or below) the pan resets. `min` lets 1:1 go below fit for images
 * larger than the pane at a high pixel ratio.
 */
export function zoomBy(zoom: Zoom, factor: number, anchor = { x: 0, y: 0 }, min = 1): Zoom {
  const scale = clampScale(zoom.scale * factor, Math.min(1, min));
  if (scale <= 1 && min >= 1) return { ...fitZoom };
  const k = scale / zoom.scale;
  return { scale, x: anchor.x - (anchor.x - zoom.x) * k, y: anchor.y - (anchor.y - zoom.y) * k };
}

export function panBy(zoom: Zoom, dx: number, dy: number): Zoom {
  return { ...zoom, x: zoom.x + dx, y: zoom.y + dy };
}

/** The scale at which one image pixel is one device pixel, for an image of `natural` size fitted
 *  into a pane of `pane` size (CSS px) at `dpr` device pixels per CSS pixel. */
export function actualPixelsScale(natural: { w: number; h: number }, pane: { w: number; h: number }, dpr: number): number {
  if (natural.w <= 0 || natural.h <= 0 || pane.w <= 0 || pane.h <= 0) return 1;
  const fit = Math.min(pane.w / natural.w, pane.h / natural.h);
  return 1 / (fit * dpr);
}

/** The zoom for 1:1 pixels about the pane centre, keeping the point under it. */
export function actualPixels(zoom: Zoom, natural: { w: number; h: number }, pane: { w: number; h: number }, dpr: number): Zoom {
  const target = actualPixelsScale(natural, pane, dpr);
  return zoomBy(zoom, target / zoom.scale, { x: 0, y: 0 }, target);
}

/** The wheel's zoom factor: a plain wheel notch ≈ one step; a pinch (ctrl+wheel) sends small deltas. */
export function wheelFactor(deltaY: number, pinch: boolean): number {
  return Math.exp(-deltaY * (pinch ? 0.01 : 0.0022));
}

/** The zoom as people read it: "Fit", or the percentage of fit. */
export function zoomText(zoom: Zoom): string {
  return zoom.scale === 1 && zoom.x === 0 && zoom.y === 0 ? 'Fit' : `${Math.round(zoom.scale * 100)}%`;
}
