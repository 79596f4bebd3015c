import { randomUUID } from 'node:crypto';

// A network's raw output -> the Roboflow response body (roboflow-protocol.md, "Responses"), so the
// review, evaluation and exports read device results exactly like API results. Single-label: a
// softmax over the outputs (always, as Roboflow's classification models do), scores rounded to
// 4 places, sorted descending, only classes >= the confidence; none pass -> [], top "", 0.
// Multi-label: every class's raw score keyed by name, predicted_classes >= the confidence.

/** Roboflow's reading of `confidence`: default 0.4, >= 1 is a percentage, floor 0.01. */
export function confidenceFloor(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return 0.4;
  return Math.max(0.01, value >= 1 ? value / 100 : value);
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export interface RespondInput {
  outputs: ArrayLike<number>;
  classes: readonly string[];
  multiLabel: boolean;
  confidence: number;
  image: { width: number; height: number };
  /** Seconds spent on this image (decode, preprocess and its share of the run). */
  time: number;
}

export function respond(input: RespondInput): Record<string, unknown> {
  const { classes, confidence } = input;
  if (input.outputs.length !== classes.length) {
    throw new Error(`the model gave ${input.outputs.length} scores for ${classes.length} classes`);
  }
  const base = { inference_id: randomUUID(), time: input.time, image: { ...input.image } };
  if (input.multiLabel) {
    const predictions: Record<string, { confidence: number; class_id: number }> = {};
    const predicted: string[] = [];
    classes.forEach((name, i) => {
      const score = Number(input.outputs[i]);
      predictions[name] = { confidence: score, class_id: i };
      if (score >= confidence) predicted.push(name);
    });
    return { ...base, predictions, predicted_classes: predicted };
  }
  const passing = softmax(input.outputs)
    .map((p, i) => ({ class: classes[i], class_id: i, confidence: round4(p) }))
    .filter((p) => p.confidence >= confidence)
    .sort((a, b) => b.confidence - a.confidence || a.class_id - b.class_id);
  return { ...base, predictions: passing, top: passing[0]?.class ?? '', confidence: passing[0]?.confidence ?? 0 };
}
