import { describe, expect, it } from 'vitest';
import { actualPixels, actualPixelsScale, fitZoom, maxZoom, panBy, wheelFactor, zoomBy, zoomText } from '../../app/zoom';

describe('zoom and pan', () => {
  it('zooms about the anchor so the point under it stays put', () => {
    const z = zoomBy(fitZoom, 2, { x: 100, y: -50 });
    expect(z).toEqual({ scale: 2, x: -100, y: 50 });
    // The anchor's image point: (anchor - pan) / scale is the same before and after.
    const again = zoomBy(z, 1.5, { x: 30, y: 40 });
    expect((30 - again.x) / again.scale).toBeCloseTo((30 - z.x) / z.scale);
    expect((40 - again.y) / again.scale).toBeCloseTo((40 - z.y) / z.scale);
  });

  it('never zooms out past fit (the pan resets there) nor in past the maximum', () => {
    expect(zoomBy(panBy(zoomBy(fitZoom, 2), 40, 40), 0.25)).toEqual(fitZoom);
    expect(zoomBy({ scale: 60, x: 0, y: 0 }, 4).scale).toBe(maxZoom);
  });

  it('computes 1:1 pixels from the fitted size and the pixel ratio', () => {
    // 4000 px wide in an 800 px pane: fit shows it at 1/5, so 1:1 is 5x fit (2.5x at dpr 2).
    expect(actualPixelsScale({ w: 4000, h: 1000 }, { w: 800, h: 600 }, 1)).toBe(5);
    expect(actualPixels(fitZoom, { w: 4000, h: 1000 }, { w: 800, h: 600 }, 2).scale).toBe(2.5);
    // A small image is blown up to fit: 1:1 goes below fit.
    expect(actualPixels(fitZoom, { w: 100, h: 100 }, { w: 800, h: 400 }, 1).scale).toBe(0.25);
  });

  it('reads wheel and pinch deltas and names the level', () => {
    expect(wheelFactor(-100, false)).toBeGreaterThan(1.2);
    expect(wheelFactor(100, false)).toBeLessThan(1);
    expect(wheelFactor(-10, true)).toBeCloseTo(Math.exp(0.1));
    expect(zoomText(fitZoom)).toBe('Fit');
    expect(zoomText({ scale: 2.5, x: 0, y: 0 })).toBe('250%');
  });
});
