import { z } from 'zod';

// Roboflow classification responses (roboflow-protocol.md): runtime schemas, and a normalised view
// (every class score, sorted) that leaves the raw response untouched. Unknown fields are kept; a
// missing `class_id` or `inference_id` is fine. The shape is told by Array.isArray(predictions).

/** The response and error-body schemas, built when first used: the page uses this module's
 *  threshold rules only, and building zod schemas as it loads would bring zod into its bundle. */
function makeSchemas() {
  const imageSize = z.looseObject({ width: z.number(), height: z.number() });
  const singleLabel = z.looseObject({
    inference_id: z.string().optional(),
    time: z.number().optional(),
    image: imageSize.optional(),
    predictions: z.array(
      z.looseObject({ class: z.string(), class_id: z.number().optional(), confidence: z.number() }),
    ),
    top: z.string().optional(),
    confidence: z.number().optional(),
  });
  const multiLabel = z.looseObject({
    inference_id: z.string().optional(),
    time: z.number().optional(),
    image: imageSize.optional(),
    predictions: z.record(z.string(), z.looseObject({ confidence: z.number(), class_id: z.number().optional() })),
    predicted_classes: z.array(z.string()).optional(),
  });
  /** Error bodies: `{message, help_url?, error_type?}`, schema errors `{detail: [...]}`, and the
   *  platform API's `{error: {message}}` (or `{error: "text"}`). */
  const messageBody = z.looseObject({ message: z.string(), help_url: z.string().optional(), error_type: z.string().optional() });
  const detailBody = z.looseObject({ detail: z.union([z.array(z.unknown()), z.string()]) });
  const platformErrorBody = z.looseObject({ error: z.union([z.string(), z.looseObject({ message: z.string() })]) });
  return { singleLabel, multiLabel, messageBody, detailBody, platformErrorBody };
}

let built: ReturnType<typeof makeSchemas> | undefined;
const schemas = () => (built ??= makeSchemas());

export type SingleLabelResponse = z.infer<ReturnType<typeof makeSchemas>['singleLabel']>;
export type MultiLabelResponse = z.infer<ReturnType<typeof makeSchemas>['multiLabel']>;

export type ClassScore = [className: string, confidence: number];

export interface NormalisedResponse {
  multiLabel: boolean;
  /** Every class score received, confidence descending (ties by class name). */
  scores: ClassScore[];
}

export type ParsedResponse =
  | { ok: true; value: NormalisedResponse & { raw: Record<string, unknown> } }
  | { ok: false; reason: string };

/** The order of class scores everywhere: confidence descending, ties by class name. */
export function byScore(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

function sortScores(scores: ClassScore[]): ClassScore[] {
  return scores.sort(byScore);
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'response'}: ${issue.message}` : 'invalid response';
}

/** Checks a decoded JSON body against both response shapes; on success keeps it verbatim as `raw`. */
export function parseResponse(raw: unknown): ParsedResponse {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'the response is not a JSON object' };
  }
  const predictions = (raw as { predictions?: unknown }).predictions;
  if (predictions === undefined) return { ok: false, reason: 'the response has no predictions' };
  if (Array.isArray(predictions)) {
    if (predictions.some((p) => typeof p === 'object' && p !== null && 'x' in p && 'width' in p)) {
      return { ok: false, reason: 'the predictions are boxes: this looks like an object-detection model, not a classification model' };
    }
    const parsed = schemas().singleLabel.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error) };
    const scores = sortScores(parsed.data.predictions.map((p): ClassScore => [p.class, p.confidence]));
    return { ok: true, value: { raw: raw as Record<string, unknown>, multiLabel: false, scores } };
  }
  const parsed = schemas().multiLabel.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error) };
  const scores = sortScores(Object.entries(parsed.data.predictions).map(([c, p]): ClassScore => [c, p.confidence]));
  return { ok: true, value: { raw: raw as Record<string, unknown>, multiLabel: true, scores } };
}

/** The normalised scores of a response; an unrecognised body yields no scores (never throws). */
export function normaliseResponse(raw: unknown): NormalisedResponse {
  const parsed = parseResponse(raw);
  if (!parsed.ok) return { multiLabel: false, scores: [] };
  return { multiLabel: parsed.value.multiLabel, scores: parsed.value.scores };
}

export interface Labels {
  multiLabel: boolean;
  /** Single-label: the top class when it reaches the threshold, else none. Multi-label: every
   *  class at or above the threshold, confidence descending. */
  classes: string[];
  /** `classes` with their scores. */
  scored: ClassScore[];
  /** The best class and its score, whether or not it passes (for display of "below threshold"). */
  best: ClassScore | null;
}

/** A threshold: one number for every class, or a default with optional per-class overrides
 *  (classes not in `perClass` use `default`). */
export type Threshold = number | ClassThresholds;
export interface ClassThresholds {
  readonly default: number;
  readonly perClass: Readonly<Record<string, number>>;
}

/** The threshold a class is held to under a threshold rule. */
export function thresholdFor(threshold: Threshold, className?: string): number {
  if (typeof threshold === 'number') return threshold;
  if (className !== undefined && Object.prototype.hasOwnProperty.call(threshold.perClass, className)) return threshold.perClass[className];
  return threshold.default;
}

/** The default (the slider's) threshold of a rule. */
export function baseThreshold(threshold: Threshold): number {
  return typeof threshold === 'number' ? threshold : threshold.default;
}

/** A rule from a default and overrides; a plain number when there are none, so most code sees the
 *  simple form. */
export function thresholdRule(base: number, perClass?: Readonly<Record<string, number>> | null): Threshold {
  return perClass && Object.keys(perClass).length > 0 ? { default: base, perClass } : base;
}

/** The per-class thresholds of a rule indexed like `classes` (for loops over class indexes). */
export function thresholdsByIndex(threshold: Threshold, classes: readonly string[]): Float64Array {
  const out = new Float64Array(classes.length);
  for (let k = 0; k < classes.length; k++) out[k] = thresholdFor(threshold, classes[k]);
  return out;
}

/**
 * THE threshold rule, the one every view of a result follows (grid badges, detail, CSV, JSON,
 * annotated captions, class folders, CLI, evaluation, sweeps): a score passes when it is at or above
 * its class's threshold (the per-class override, else the default), as Roboflow's server decides
 * when asked with `confidence=threshold`.
 */
export function passes(confidence: number, threshold: Threshold, className?: string): boolean {
  return confidence >= (typeof threshold === 'number' ? threshold : thresholdFor(threshold, className));
}

/** The labels that pass a threshold (see `passes`), applied locally to the received scores; the best
 *  class is kept apart whether or not it passes (view-filter.ts's `labelsAt` shows it muted). */
export function passingLabels(normalised: NormalisedResponse, threshold: Threshold): Labels;
export function passingLabels(scores: readonly ClassScore[], multiLabel: boolean, threshold: Threshold): Labels;
export function passingLabels(
  a: NormalisedResponse | readonly ClassScore[],
  b: Threshold | boolean,
  c?: Threshold,
): Labels {
  const [scores, multiLabel, threshold] = Array.isArray(a)
    ? [a as readonly ClassScore[], b as boolean, c ?? 0]
    : [(a as NormalisedResponse).scores, (a as NormalisedResponse).multiLabel, b as Threshold];
  const sorted = sortScores([...scores]);
  const best = sorted[0] ?? null;
  const passing = sorted.filter(([cls, conf]) => passes(conf, threshold, cls));
  // Single-label: the top class or nothing. With per-class thresholds a lower class may pass its own
  // threshold while the top one fails; it does not take over (the metrics judge the top class too).
  const scored = multiLabel ? passing : passing[0] === best ? passing.slice(0, 1) : [];
  return { multiLabel, classes: scored.map(([cls]) => cls), scored, best };
}

/**
 * The Roboflow-shaped fields of a response (`predictions`, `top`, `confidence`,
 * `predicted_classes`) exactly as Roboflow answers when asked with `confidence=threshold`, computed
 * from a response received at the floor (every score). Single-label: classes below their threshold
 * are dropped from `predictions`, `top` is the best class ("" and `confidence` 0 when it does not
 * pass; with per-class thresholds nothing is kept then either). Multi-label: every score is kept and `predicted_classes` lists the passing classes,
 * confidence descending. Any other field of the response is returned unchanged; an unreadable
 * response is returned as it is.
 */
export function responseAt(raw: Record<string, unknown>, threshold: Threshold): Record<string, unknown> {
  // Runs once per image of a 50k-image export: plain checks instead of the zod schemas.
  const predictions = raw.predictions;
  const scored = (cls: unknown, confidence: unknown): cls is string => typeof cls === 'string' && typeof confidence === 'number';
  if (Array.isArray(predictions)) {
    type Scored = { class: string; confidence: number };
    const valid = (predictions as Array<{ class?: unknown; confidence?: unknown }>).filter(
      (p): p is Scored => typeof p === 'object' && p !== null && scored(p.class, p.confidence),
    );
    // As passingLabels: when the best class fails its threshold, no class is the answer (a linear scan:
    // only the passing few are sorted).
    let best: Scored | undefined;
    for (const p of valid) if (!best || byScore([p.class, p.confidence], [best.class, best.confidence]) < 0) best = p;
    const kept = best && passes(best.confidence, threshold, best.class)
      ? valid.filter((p) => passes(p.confidence, threshold, p.class)).sort((x, y) => byScore([x.class, x.confidence], [y.class, y.confidence]))
      : [];
    const top = kept[0];
    return { ...raw, predictions: kept, top: top ? top.class : '', confidence: top ? top.confidence : 0 };
  }
  if (typeof predictions !== 'object' || predictions === null) return { ...raw };
  const passing = Object.entries(predictions as Record<string, { confidence?: unknown } | null>)
    .flatMap(([cls, p]): ClassScore[] => (p && scored(cls, p.confidence) && passes(p.confidence as number, threshold, cls) ? [[cls, p.confidence as number]] : []))
    .sort(byScore);
  return { ...raw, predicted_classes: passing.map(([cls]) => cls) };
}

/** The human-readable message of an error body (JSON text or parsed), if it has one. */
export function errorBodyMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const { messageBody, detailBody, platformErrorBody } = schemas();
  const message = messageBody.safeParse(value);
  if (message.success) return message.data.message;
  const detail = detailBody.safeParse(value);
  if (detail.success) {
    if (typeof detail.data.detail === 'string') return detail.data.detail;
    return detail.data.detail
      .map((d) => {
        const msg = typeof d === 'object' && d !== null ? (d as { msg?: unknown }).msg : undefined;
        return typeof msg === 'string' ? msg : JSON.stringify(d);
      })
      .join('; ');
  }
  const platform = platformErrorBody.safeParse(value);
  if (platform.success) return typeof platform.data.error === 'string' ? platform.data.error : platform.data.error.message;
  return undefined;
}
