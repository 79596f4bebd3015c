import { describe, expect, it } from 'vitest';
import { correctionAction } from '../../../../../renderer/src/components/evaluation/correction-keys';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});
const classes = ['blue', 'green', 'red'];
const none = { label: null, reviewed: false, flagged: false };

describe('correctionAction', () => {
  it('maps 1–9 to the classes in list order and ignores numbers past the list', () => {
    expect(correctionAction(key('1'), classes, none)).toEqual({ kind: 'patch', patch: { label: 'blue' } });
    expect(correctionAction(key('3'), classes, none)).toEqual({ kind: 'patch', patch: { label: 'red' } });
    expect(correctionAction(key('4'), classes, none)).toBeNull();
    expect(correctionAction(key('1', { altKey: true }), classes, none)).toBeNull();
  });

  it('clears only an existing label with 0 and toggles reviewed / flagged', () => {
    expect(correctionAction(key('0'), classes, none)).toBeNull();
    expect(correctionAction(key('0'), classes, { ...none, label: 'red' })).toEqual({ kind: 'patch', patch: { label: null } });
    expect(correctionAction(key('r'), classes, none)).toEqual({ kind: 'patch', patch: { reviewed: true } });
    expect(correctionAction(key('R', { shiftKey: true }), classes, { ...none, reviewed: true })).toEqual({ kind: 'patch', patch: { reviewed: false } });
    expect(correctionAction(key('f'), classes, { ...none, flagged: true })).toEqual({ kind: 'patch', patch: { flagged: false } });
  });

  it('undoes with Ctrl/Cmd+Z and redoes with Shift or Y, leaving other shortcuts alone', () => {
    expect(correctionAction(key('z', { ctrlKey: true }), classes, none)).toEqual({ kind: 'undo' });
    expect(correctionAction(key('z', { metaKey: true }), classes, none)).toEqual({ kind: 'undo' });
    expect(correctionAction(key('Z', { ctrlKey: true, shiftKey: true }), classes, none)).toEqual({ kind: 'redo' });
    expect(correctionAction(key('y', { ctrlKey: true }), classes, none)).toEqual({ kind: 'redo' });
    expect(correctionAction(key('r', { ctrlKey: true }), classes, none)).toBeNull();
    expect(correctionAction(key('1', { ctrlKey: true }), classes, none)).toBeNull();
    expect(correctionAction(key('e'), classes, none)).toBeNull();
  });
});
