import { evaluationExportKinds, evaluationExports, exportFormatIds, exportFormats, type ExportChoice } from '../../app/export-formats';
import { formatCount } from '../../app/format';
import type { MenuItem } from './components/menu-item';

// The toolbar's Export menu, read from the export tables (app/export-formats.ts): each export's
// plain item, then its variants, then "Send to Roboflow…", then the results exports of only the
// images the filters show. An item's value is the typed choice the actions carry out.

export type ExportMenuValue = ExportChoice | 'send';

/** The items, with the shown-only group when the filters hide some images (`shown` not null). */
export function exportMenuItems(shown: number | null): MenuItem<ExportMenuValue>[] {
  const formats = exportFormatIds.map((format) => [format, exportFormats[format]] as const);
  const evaluations = evaluationExportKinds.map((kind) => [kind, evaluationExports[kind]] as const);
  const results: MenuItem<ExportMenuValue>[] = [
    ...formats.map(([format, spec]) => ({ label: spec.label, hint: spec.hint, value: { kind: 'results', format } as const })),
    ...formats.flatMap(([format, spec]) => (spec.variants ?? []).map((v) => ({ label: v.label, hint: v.hint, value: { kind: 'results', format, ...v.options } as const }))),
  ];
  const evaluation: MenuItem<ExportMenuValue>[] = [
    ...evaluations.map(([kind, spec]) => ({ label: spec.label, hint: spec.hint, value: { kind: 'evaluation', export: kind } as const })),
    ...evaluations.flatMap(([kind, spec]) => (spec.variants ?? []).map((v) => ({ label: v.label, hint: v.hint, value: { kind: 'evaluation', export: kind, ...v.options } as const }))),
  ];
  const shownOnly: MenuItem<ExportMenuValue>[] =
    shown === null ? [] : formats.map(([format, spec]) => ({ label: spec.shownLabel, hint: formatCount(shown), value: { kind: 'results', format, shownOnly: true } as const }));
  return [
    ...results,
    ...startGroup(evaluation),
    { label: 'Send to Roboflow…', value: 'send', hint: 'images + labels', separator: true },
    ...startGroup(shownOnly),
  ];
}

/** Draws the line above the group's first item. */
function startGroup<T>(items: MenuItem<T>[]): MenuItem<T>[] {
  return items.map((item, i) => (i === 0 ? { ...item, separator: true } : item));
}
