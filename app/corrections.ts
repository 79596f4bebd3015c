// The person's corrections of one image (review and corrections): a true label, "reviewed", "flagged". Main stores
// them (main/services/corrections.ts); the renderer shows and edits them; exports carry them.

import { noReview, type ReviewFields } from './export-rows';

/** The correction state of one image; `label` null = no corrected label. */
export interface Correction {
  id: string;
  label: string | null;
  reviewed: boolean;
  flagged: boolean;
  /** When the latest change to this image happened (ISO time). */
  at: string;
  /** Free tags (app/annotations.ts), sorted; absent when none. */
  tags?: string[];
  /** A short note; absent when none. */
  note?: string;
}

export interface CorrectionPatch {
  /** A class name, or null to remove the corrected label; absent = unchanged. */
  label?: string | null;
  reviewed?: boolean;
  flagged?: boolean;
  /** Tags to add to / remove from every given image (tags and notes). */
  addTags?: string[];
  removeTags?: string[];
  /** The note of every given image; null or '' removes it; absent = unchanged. */
  note?: string | null;
}

export interface CorrectionsChange {
  /** The new state of every image the step touched. */
  changed: Correction[];
  canUndo: boolean;
  canRedo: boolean;
}

export interface CorrectionsSnapshot {
  /** Images with a corrected label, reviewed or flagged. */
  items: Correction[];
  canUndo: boolean;
  canRedo: boolean;
}

/** The export fields of a correction (reviewed_label, reviewed_at, flagged), null/false without one. */
export function reviewFields(correction: Correction | undefined): ReviewFields {
  if (!correction) return { ...noReview };
  // A flag alone is a note for later, not a review: it leaves reviewed_at empty.
  const reviewed = correction.reviewed || correction.label !== null;
  const fields: ReviewFields = { reviewed_label: correction.label, reviewed_at: reviewed ? correction.at : null, flagged: correction.flagged };
  if (correction.tags?.length) fields.tags = [...correction.tags];
  if (correction.note) fields.note = correction.note;
  return fields;
}

/** True when an image has nothing the person set: no label, review, flag, tag or note. */
export function isBlankCorrection(c: Correction): boolean {
  return c.label === null && !c.reviewed && !c.flagged && !c.tags?.length && !c.note;
}

/** Ground truth with corrected labels on top (a correction wins), as metrics expect it: `truth`
 *  itself when no correction sets a label (at 250,000 labelled images a copy took 0.14 s). */
export function truthWithCorrections(
  truth: ReadonlyMap<string, readonly string[]>,
  corrections: Iterable<Correction>,
): ReadonlyMap<string, readonly string[]> {
  let out: Map<string, readonly string[]> | null = null;
  for (const c of corrections) if (c.label !== null) (out ??= new Map(truth)).set(c.id, [c.label]);
  return out ?? truth;
}
