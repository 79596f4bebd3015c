import { describe, expect, it } from 'vitest';
import { classColors, colorAt, okabeIto, textOn, colorOf, unknownClassColor } from '../../app/class-colors';

describe('classColors', () => {
  it('gives the same colours to the same set of classes whatever their order', () => {
    const a = classColors(['dog', 'cat', 'owl']);
    const b = classColors(['owl', 'dog', 'cat', 'cat']);
    expect([...a]).toEqual([...b]);
    expect(a.get('cat')).toBe(okabeIto[0]);
    expect(a.get('dog')).toBe(okabeIto[1]);
  });

  it('gives colour-named classes the palette colour that looks like them', () => {
    const colors = classColors(['red', 'green', 'blue', 'cat']);
    expect(colors.get('red')).toBe('#D55E00');
    expect(colors.get('green')).toBe('#009E73');
    expect(colors.get('blue')).toBe('#0072B2');
    expect(colors.get('cat')).toBe(okabeIto[0]);
    expect(new Set(colors.values()).size).toBe(4);
    const many = classColors(Array.from({ length: 12 }, (_, i) => `c${i}`).concat('yellow'));
    expect(many.get('yellow')).toBe('#F0E442');
    expect(new Set(many.values()).size).toBe(13);
  });

  it('extends past the palette with distinct valid colours', () => {
    const colors = Array.from({ length: 40 }, (_, i) => colorAt(i));
    expect(new Set(colors).size).toBe(40);
    for (const color of colors) expect(color).toMatch(/^#[0-9A-F]{6}$/);
  });
});

describe('textOn', () => {
  it('chooses the readable text colour', () => {
    expect(textOn('#F0E442')).toBe('#000000');
    expect(textOn('#0072B2')).toBe('#FFFFFF');
    expect(textOn('#000000')).toBe('#FFFFFF');
    expect(textOn('nonsense')).toBe('#000000');
  });
});

describe('colorOf', () => {
  it('answers the class colour from the map, and the grey textOn can read for a class not in it', () => {
    const colors = classColors(['cat', 'dog']);
    expect(colorOf(colors, 'dog')).toBe(colors.get('dog'));
    expect(colorOf(colors, 'owl')).toBe(unknownClassColor);
    expect(textOn(unknownClassColor)).toBe('#000000');
  });
});
