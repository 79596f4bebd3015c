// The shortcut list entries of tags and notes, saved views, and zoom / comparison (the `?` dialog).
export const reviewExtraShortcuts: Array<[string, string]> = [
  ['T', 'Tags of the image (or of the selection): type to find or create one'],
  ['N  (in the image view)', 'Write a note; Ctrl + Enter saves it'],
  ['V', 'Saved views: save the current filter, sort and threshold, or reopen one'],
  ['+ / − / 0  (in the image view)', 'Zoom in / out / fit (wheel or pinch zooms too; drag to pan)'],
  ['A  (in the image view)', 'Actual pixels (1:1)'],
  ['P  (in the image view)', 'Pin for comparison: later images show beside it, zoomed together'],
];
