// Per-class threshold overrides: saved per folder and model (settings `classThresholds`), given on
// the command line as `--thresholds blue=0.9,red=0.5`, and turned into one threshold rule by
// roboflow.ts `thresholdRule`.

/** The settings key of a folder + model's overrides. */
export function classThresholdsKey(folderId: string, model: string): string {
  return `${folderId} ${model}`;
}

export type ClassThresholdMap = Record<string, number>;

/**
 * Parses `NAME=T[,NAME=T...]` (T from 0 to 1). A class name may hold any character but ',' and '='
 * in this form; the flag can be repeated for more. Returns an error message instead of throwing.
 */
export function parseClassThresholds(text: string): { ok: true; value: ClassThresholdMap } | { ok: false; message: string } {
  const value: ClassThresholdMap = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.lastIndexOf('=');
    const name = eq > 0 ? item.slice(0, eq).trim() : '';
    const raw = eq > 0 ? item.slice(eq + 1).trim() : '';
    const t = Number(raw);
    if (name === '' || raw === '' || !(t >= 0 && t <= 1)) {
      return { ok: false, message: `--thresholds "${item}" must be CLASS=T with T a number from 0 to 1, e.g. --thresholds blue=0.9,red=0.5.` };
    }
    value[name] = t;
  }
  return { ok: true, value };
}

/** Overrides naming classes the model does not have (worth a warning: they change nothing). */
export function unknownThresholdClasses(overrides: ClassThresholdMap, classes: readonly string[]): string[] {
  const known = new Set(classes);
  return Object.keys(overrides).filter((name) => !known.has(name));
}
