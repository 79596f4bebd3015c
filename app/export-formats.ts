import { plural } from './format';

// Every export the app can write, one entry each: the results exports (`exportResults`) and the
// evaluation exports (`exportEvaluation`). The contract's enums, the types, the suggested file
// names, the dialog (file or folder) and the window's Export menu all read these tables; main
// keeps one writer per entry in a record keyed by the same ids, so an entry without a writer does
// not compile. Order is the menu's order.

/** A single file (save dialog) or a folder the export fills (folder dialog). */
export type ExportTarget = 'file' | 'folder';

/** The same export offered again in the menu with other options. */
export interface ExportVariant<Options> {
  label: string;
  hint?: string;
  options: Options;
}

interface ExportSpec<Options> {
  target: ExportTarget;
  /** Extension of the suggested name ('' for a folder). */
  extension: string;
  /** Ends the stem of the suggested name ("-annotated"). */
  suffix: string;
  /** The Export menu's item. */
  label: string;
  hint?: string;
  /** More items for the same export, listed after every plain item of the table. */
  variants?: readonly ExportVariant<Options>[];
}

/** Options of a results export chosen in the menu. */
export interface ResultsExportOptions {
  /** Only the images the filters show. */
  shownOnly?: boolean;
  /** Class folders: mirror sub-folders under each class (main's default: true). */
  keepSubfolders?: boolean;
}

export interface ResultsExportSpec extends ExportSpec<ResultsExportOptions> {
  /** What progress and notices call it ("annotated images"). */
  name: string;
  /** The menu item for only the images the filters show. */
  shownLabel: string;
}

const formatTable = {
  json: { name: 'JSON', target: 'file', extension: '.json', suffix: '', label: 'JSON', hint: 'default', shownLabel: 'JSON, shown images only' },
  csv: { name: 'CSV', target: 'file', extension: '.csv', suffix: '', label: 'CSV', shownLabel: 'CSV, shown images only' },
  annotated: { name: 'annotated images', target: 'folder', extension: '', suffix: '-annotated', label: 'Annotated images', shownLabel: 'Annotated images, shown only' },
  'class-folders': {
    name: 'class folders',
    target: 'folder',
    extension: '',
    suffix: '-by-class',
    label: 'Copy into class folders',
    hint: 'keeps sub-folders',
    variants: [{ label: 'Copy into class folders, flat', options: { keepSubfolders: false } }],
    shownLabel: 'Class folders, shown only',
  },
} as const satisfies Record<string, ResultsExportSpec>;

export type ExportFormat = keyof typeof formatTable;
export const exportFormats: Readonly<Record<ExportFormat, ResultsExportSpec>> = formatTable;

/** Options of an evaluation export chosen in the menu. */
export interface EvaluationExportOptions {
  /** Labels exports: leave out images whose only label is the model's prediction. */
  onlyConfirmed?: boolean;
}

export interface EvaluationExportSpec extends ExportSpec<EvaluationExportOptions> {
  /** What the notice says was written, given how many images the export counted. */
  written(count: number): string;
}

const evaluationTable = {
  report: {
    target: 'file',
    extension: '.json',
    suffix: '-evaluation',
    label: 'Evaluation report…',
    hint: 'JSON + CSV',
    written: () => 'Evaluation report (confusion matrix CSV beside it)',
  },
  'report-html': {
    target: 'file',
    extension: '.html',
    suffix: '-report',
    label: 'Report (HTML)',
    hint: 'one file, opens anywhere',
    written: () => 'HTML report',
  },
  'labels-csv': {
    target: 'file',
    extension: '.csv',
    suffix: '-labels',
    label: 'Corrected labels (CSV)',
    variants: [{ label: 'Confirmed labels only (CSV)', hint: 'no model-only labels', options: { onlyConfirmed: true } }],
    written: (count: number) => `Labels of ${plural(count, 'image')}`,
  },
  'labels-folders': {
    target: 'folder',
    extension: '',
    suffix: '-dataset',
    label: 'Corrected labels (class folders)',
    written: (count: number) => `Labels of ${plural(count, 'image')}`,
  },
} as const satisfies Record<string, EvaluationExportSpec>;

export type EvaluationExportKind = keyof typeof evaluationTable;
export const evaluationExports: Readonly<Record<EvaluationExportKind, EvaluationExportSpec>> = evaluationTable;

/** The keys of a table in order, as the non-empty tuple `z.enum` takes. */
function idsOf<K extends string>(table: Record<K, unknown>): [K, ...K[]] {
  return Object.keys(table) as [K, ...K[]];
}

export const exportFormatIds = idsOf(exportFormats);
export const evaluationExportKinds = idsOf(evaluationExports);

/** One export the person picked, with its options (the Export menu's value). */
export type ExportChoice =
  | ({ kind: 'results'; format: ExportFormat } & ResultsExportOptions)
  | ({ kind: 'evaluation'; export: EvaluationExportKind } & EvaluationExportOptions);

/** The suggested name of an export: `<stem><suffix><extension>`. */
export function exportFileName(spec: Pick<ExportSpec<unknown>, 'suffix' | 'extension'>, stem: string): string {
  return `${stem}${spec.suffix}${spec.extension}`;
}
