import { describe, expect, it } from 'vitest';
import { createForeground } from '../../../main/services/foreground';

// Background passes take their turns behind work the user waits for, without being starved by it.

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('foreground', () => {
  it('gives a background turn at once when nothing is pending, and only after pending work otherwise', async () => {
    const foreground = createForeground({ maxWaitMs: 60_000 });
    await foreground.turn();

    const thumbnail = deferred();
    const served = foreground.run(() => thumbnail.promise.then(() => 'thumb'));
    let turned = false;
    const turn = foreground.turn().then(() => {
      turned = true;
    });
    await ticks(20);
    expect(turned).toBe(false);
    thumbnail.resolve();
    await expect(served).resolves.toBe('thumb');
    await turn;
    expect(turned).toBe(true);
  });

  it('counts failed work as settled, and waits for every pending piece', async () => {
    const foreground = createForeground({ maxWaitMs: 60_000 });
    const a = deferred();
    const b = deferred();
    const ran = [foreground.run(() => a.promise), foreground.run(() => b.promise)];
    let turned = false;
    const turn = foreground.turn().then(() => {
      turned = true;
    });
    a.reject(new Error('bad image'));
    await expect(ran[0]).rejects.toThrow('bad image');
    await ticks(20);
    expect(turned).toBe(false);
    b.resolve();
    await turn;
    expect(turned).toBe(true);
  });

  it('lets a background pass go on after its longest wait while requests keep coming', async () => {
    const foreground = createForeground({ maxWaitMs: 0 });
    const endless = deferred();
    void foreground.run(() => endless.promise);
    await foreground.turn(); // would never resolve if it waited for the work
    endless.resolve();
  });
});
