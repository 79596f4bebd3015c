import { describe, expect, it } from 'vitest';
import { exportMenuItems } from '../../../renderer/src/export-menu';

// The toolbar's Export menu is read from the export tables: the same items, hints, groups and order
// as the list the toolbar once spelled out, each carrying the typed choice the actions run.

const folderItems = [
  { label: 'JSON', hint: 'default', value: { kind: 'results', format: 'json' } },
  { label: 'CSV', value: { kind: 'results', format: 'csv' } },
  { label: 'Annotated images', value: { kind: 'results', format: 'annotated' } },
  { label: 'Copy into class folders', hint: 'keeps sub-folders', value: { kind: 'results', format: 'class-folders' } },
  { label: 'Copy into class folders, flat', value: { kind: 'results', format: 'class-folders', keepSubfolders: false } },
  { label: 'Evaluation report…', hint: 'JSON + CSV', separator: true, value: { kind: 'evaluation', export: 'report' } },
  { label: 'Report (HTML)', hint: 'one file, opens anywhere', value: { kind: 'evaluation', export: 'report-html' } },
  { label: 'Corrected labels (CSV)', value: { kind: 'evaluation', export: 'labels-csv' } },
  { label: 'Corrected labels (class folders)', value: { kind: 'evaluation', export: 'labels-folders' } },
  { label: 'Confirmed labels only (CSV)', hint: 'no model-only labels', value: { kind: 'evaluation', export: 'labels-csv', onlyConfirmed: true } },
  { label: 'Send to Roboflow…', hint: 'images + labels', separator: true, value: 'send' },
];

describe('the Export menu', () => {
  it('lists every export of the folder, the evaluation exports and Send, in the toolbar order', () => {
    expect(exportMenuItems(null)).toEqual(folderItems);
  });

  it('adds the results exports of only the shown images when the filters hide some, with how many', () => {
    expect(exportMenuItems(1234)).toEqual([
      ...folderItems,
      { label: 'JSON, shown images only', hint: '1,234', separator: true, value: { kind: 'results', format: 'json', shownOnly: true } },
      { label: 'CSV, shown images only', hint: '1,234', value: { kind: 'results', format: 'csv', shownOnly: true } },
      { label: 'Annotated images, shown only', hint: '1,234', value: { kind: 'results', format: 'annotated', shownOnly: true } },
      { label: 'Class folders, shown only', hint: '1,234', value: { kind: 'results', format: 'class-folders', shownOnly: true } },
    ]);
  });
});
