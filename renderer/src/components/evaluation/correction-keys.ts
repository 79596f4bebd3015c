import type { CorrectionPatch } from '../../../../app/corrections';

// Keys of corrections (UI.md: "1–9 correct"): 1–9 the Nth class of the sorted class list, 0 clears
// the corrected label, R reviewed, F flagged, Ctrl/Cmd+Z undo, Shift+Ctrl/Cmd+Z or Ctrl+Y redo.

export type CorrectionAction = { kind: 'patch'; patch: CorrectionPatch } | { kind: 'undo' } | { kind: 'redo' };

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

interface Current {
  label: string | null;
  reviewed: boolean;
  flagged: boolean;
}

/** What a key press means for the current image, or null when it is no correction key. */
export function correctionAction(event: KeyLike, classes: readonly string[], current: Current): CorrectionAction | null {
  if (event.altKey) return null;
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (mod) {
    if (key === 'z') return event.shiftKey ? { kind: 'redo' } : { kind: 'undo' };
    if (key === 'y' && !event.shiftKey) return { kind: 'redo' };
    return null;
  }
  if (/^[1-9]$/.test(key)) {
    const label = classes[Number(key) - 1];
    return label === undefined ? null : { kind: 'patch', patch: { label } };
  }
  if (key === '0') return current.label === null ? null : { kind: 'patch', patch: { label: null } };
  if (key === 'r') return { kind: 'patch', patch: { reviewed: !current.reviewed } };
  if (key === 'f') return { kind: 'patch', patch: { flagged: !current.flagged } };
  return null;
}

/** The shortcut list entries of corrections (the `?` dialog). */
export const correctionShortcuts: Array<[string, string]> = [
  ['1 – 9', 'Correct label: the 1st – 9th class (selected images too, when the focused one is selected)'],
  ['0', 'Clear the corrected label (in the image view 0 fits the picture)'],
  ['R', 'Mark reviewed / not reviewed'],
  ['F', 'Flag / unflag'],
  ['Ctrl + Z', 'Undo the last correction'],
  ['Ctrl + Shift + Z', 'Redo'],
  ['E', 'Show / hide the evaluation panel'],
];
