import { describe, expect, it } from 'vitest';
import { captionText, csvCell, csvRow, exportImage, exportModel, skippedText } from '../../app/export-rows';
import type { ResultRecord } from '../../app/types';
import { uncertaintyOf } from '../../app/uncertainty';

const base = { size: 1, mtimeMs: 1, startedAt: 's', finishedAt: 'f' };
const multi: ResultRecord = {
  ...base,
  id: 'm.jpg',
  status: 'done',
  response: {
    time: 0.3,
    image: { width: 416, height: 416 },
    predictions: { cat: { confidence: 0.8809, class_id: 0 }, dog: { confidence: 0.8838, class_id: 1 }, bird: { confidence: 0.1 } },
    predicted_classes: ['cat', 'dog'],
  },
};

describe('export rows', () => {
  it('quotes CSV cells per RFC 4180 and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('=a,"b"')).toBe(`"'=a,""b"""`);
    expect(csvCell(0.5)).toBe('0.5');
    expect(csvCell(null)).toBe('');
  });

  it('builds multi-label CSV rows and captions from the classes above the threshold', () => {
    // Margin: min |score − 0.5| = 0.3809 (cat); entropy: mean binary entropy of 0.8838, 0.8809, 0.1.
    const tail = `${0.8809 - 0.5},${(uncertaintyOf([['dog', 0.8838], ['cat', 0.8809], ['bird', 0.1]], true, 0.5)!.entropy)}`;
    expect(csvRow('m.jpg', multi, ['bird', 'cat', 'dog'], 0.5)).toBe(`m.jpg,done,dog;cat,0.8838,0.1,0.8809,0.8838,,,,false,${tail},,\r\n`);
    const review = { reviewed_label: 'cat', reviewed_at: '2026-11-27T07:00:00.000Z', flagged: true };
    expect(csvRow('m.jpg', multi, ['bird', 'cat', 'dog'], 0.5, review)).toBe(
      `m.jpg,done,dog;cat,0.8838,0.1,0.8809,0.8838,,cat,2026-11-27T07:00:00.000Z,true,${tail},,\r\n`,
    );
    expect(captionText(multi, 0.5)).toBe('Classes: dog 88.4%, cat 88.1%');
    expect(captionText(multi, 0.95)).toBe('Classes: none above threshold');
  });

  it('captions single-label results like the SDK, and nothing for errors', () => {
    const single: ResultRecord = {
      ...base,
      id: 's.jpg',
      status: 'done',
      response: { predictions: [{ class: '10c', class_id: 0, confidence: 0.3431 }, { class: '50c', class_id: 6, confidence: 0.3393 }], top: '10c', confidence: 0.3431 },
    };
    expect(captionText(single, 0.3)).toBe('Class: 10c | Confidence: 34.3%');
    // Below the threshold the caption says so, as the JSON (top "") and the grid do.
    expect(captionText(single, 0.4)).toBe('Class: none above threshold');
    expect(captionText({ ...base, id: 'e.jpg', status: 'error', error: { code: 'bad_image', message: 'x' } }, 0.4)).toBeNull();
  });

  it('keeps the response as raw_response without letting it shadow the desktop fields, and takes extras last', () => {
    const record: ResultRecord = { ...multi, response: { ...multi.response, path: 'evil', status: 'evil', image_path: 'evil' } };
    const image = exportImage({ id: 'm.jpg', imagePath: '/abs/m.jpg', threshold: 0.5, record, review: { flagged: true }, extra: { path: 'no', custom: 'yes' } });
    // predicted_classes at the 0.5 threshold (confidence descending); every score kept.
    expect(image).toMatchObject({ path: 'm.jpg', status: 'done', image_path: '/abs/m.jpg', predicted_classes: ['dog', 'cat'], flagged: true, reviewed_label: null, custom: 'yes' });
    expect(image.predictions).toEqual(multi.response?.predictions);
    expect(image.raw_response).toEqual(record.response);
    expect(exportImage({ id: 'p.jpg', imagePath: '/abs/p.jpg', threshold: 0.5 })).toMatchObject({ status: 'pending', error: null, sent: null, margin: null, entropy: null });
    expect(exportModel('cats-vs-dogs/3')).toEqual({ id: 'cats-vs-dogs/3', project: 'cats-vs-dogs', version: '3' });
  });

  it('exports margin and entropy as JSON fields, multi-label margins measured at the export threshold', () => {
    const at = (threshold: number) => exportImage({ id: 'm.jpg', imagePath: '/abs/m.jpg', record: multi, threshold });
    // |0.8809 − 0.5| = 0.3809 at 0.5; |0.8838 − 0.9| = 0.0162 at 0.9 (dog is now nearer).
    expect(at(0.5).margin).toBeCloseTo(0.3809, 10);
    expect(at(0.9).margin).toBeCloseTo(0.0162, 10);
    // H2(0.8838) = 0.5184, H2(0.8809) = 0.5274, H2(0.1) = 0.4690 → mean 0.5049
    expect(at(0.5).entropy).toBeCloseTo(0.5049, 3);
  });
});

describe('export notice', () => {
  it('names the images a folder export could not write, and why, instead of a silent gap', () => {
    expect(skippedText([])).toBe('');
    const skip = (id: string) => ({ id, code: 'bad_image', message: 'It could not be decoded for drawing.' });
    expect(skippedText([skip('a.bmp')])).toBe('1 image not written (a.bmp: It could not be decoded for drawing.).');
    expect(skippedText(['a', 'b', 'c', 'd', 'e'].map(skip))).toMatch(/^5 images not written \(a: .*; c: It could not be decoded for drawing\.; and 2 more images\)\.$/);
  });
});
