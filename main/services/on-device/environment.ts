import { AppFailure } from '../../../app/errors';
import type { ContrastMode } from './contrast';

// Reads a Roboflow model's `environment.json` the way Roboflow Inference does: CLASS_MAP in numeric
// key order, PREPROCESSING (often a JSON string whose numbers are strings too), MULTICLASS. The
// result is a plain, serialisable spec that the inference worker applies with sharp.

export type ResizeMode = 'stretch' | 'letterbox';

export interface PreprocessSpec {
  autoOrient: boolean;
  grayscale: boolean;
  /** Percent box (0-100) cut out before the resize. */
  staticCrop: { xMin: number; yMin: number; xMax: number; yMax: number } | null;
  /** Contrast adjustment after the crop, before grayscale and resize (as Roboflow Inference orders them). */
  contrast: ContrastMode | null;
  resize: { mode: ResizeMode; /** Letterbox padding, 0 black / 255 white / 114 grey. */ pad: number; width: number | null; height: number | null };
}

export interface ModelEnvironment {
  classes: string[];
  multiLabel: boolean;
  preprocess: PreprocessSpec;
}

export interface Normalisation {
  mean: [number, number, number];
  std: [number, number, number];
}

const bad = (why: string) => new AppFailure('bad_response', `The model's environment file could not be read: ${why}. Download the model again.`);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function enabled(step: unknown): step is Json {
  return isObject(step) && step.enabled !== false && step.enabled !== 'false';
}

/** The classes of a CLASS_MAP, in numeric key order ("10" after "9"). */
export function classesOf(classMap: unknown): string[] {
  if (!isObject(classMap)) throw bad('CLASS_MAP is missing');
  const entries = Object.entries(classMap).map(([k, v]) => [Number(k), v] as const);
  if (entries.length === 0 || entries.some(([k, v]) => !Number.isInteger(k) || typeof v !== 'string')) throw bad('CLASS_MAP is not a map of numbers to class names');
  return entries.sort((a, b) => a[0] - b[0]).map(([, v]) => v as string);
}

/** "Stretch to" stretches; "Fit (black|white|grey edges) in" letterboxes with 0/255/114; any other
 *  fit mode letterboxes in black; no (or an unknown) resize setting stretches. */
export function resizeOf(resize: unknown): PreprocessSpec['resize'] {
  if (!enabled(resize)) return { mode: 'stretch', pad: 0, width: null, height: null };
  const format = typeof resize.format === 'string' ? resize.format.toLowerCase() : '';
  const width = num(resize.width);
  const height = num(resize.height);
  const size = { width: width && width > 0 ? Math.round(width) : null, height: height && height > 0 ? Math.round(height) : null };
  if (!format.startsWith('fit')) return { mode: 'stretch', pad: 0, ...size };
  const pad = format.includes('white') ? 255 : format.includes('grey') || format.includes('gray') ? 114 : 0;
  return { mode: 'letterbox', pad, ...size };
}

const contrastModes: Record<string, ContrastMode> = { 'contrast stretching': 'stretch', 'histogram equalization': 'equalize' };

/** The contrast step of PREPROCESSING. A mode the engine does not apply is refused by name, never
 *  skipped: the model would see other pixels than it was trained on, and answer differently. */
export function contrastOf(step: unknown): ContrastMode | null {
  if (!enabled(step)) return null;
  const type = typeof step.type === 'string' ? step.type.trim() : '';
  const mode = contrastModes[type.toLowerCase()];
  if (mode) return mode;
  throw new AppFailure(
    'model_not_found',
    `This model's preprocessing uses "${type.slice(0, 60) || 'an unnamed'}" contrast, which Classify Desk cannot apply on this computer (it does Contrast Stretching and Histogram Equalization): its answers would differ from Roboflow's. Classify with this model through the Roboflow API instead (Settings: Classify with).`,
  );
}

export function parseEnvironment(raw: unknown): ModelEnvironment {
  if (!isObject(raw)) throw bad('it is not a JSON object');
  let pre: unknown = raw.PREPROCESSING ?? {};
  if (typeof pre === 'string') {
    try {
      pre = JSON.parse(pre);
    } catch {
      throw bad('PREPROCESSING is not JSON');
    }
  }
  if (!isObject(pre)) throw bad('PREPROCESSING is not an object');
  const crop = pre['static-crop'];
  let staticCrop: PreprocessSpec['staticCrop'] = null;
  if (enabled(crop)) {
    const [xMin, yMin, xMax, yMax] = [crop.x_min, crop.y_min, crop.x_max, crop.y_max].map(num);
    if (xMin === null || yMin === null || xMax === null || yMax === null || xMax <= xMin || yMax <= yMin) throw bad('static-crop is not a box');
    staticCrop = { xMin, yMin, xMax, yMax };
  }
  const multi = raw.MULTICLASS;
  return {
    classes: classesOf(raw.CLASS_MAP),
    multiLabel: multi === true || multi === 'true' || multi === 'True',
    preprocess: {
      autoOrient: 'auto-orient' in pre,
      grayscale: enabled(pre.grayscale),
      staticCrop,
      contrast: contrastOf(pre.contrast),
      resize: resizeOf(pre.resize),
    },
  };
}

const imagenet: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const half: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** ImageNet statistics for ResNet and DINOv3 backbones; 0.5/0.5 for ViT, YOLOv8/YOLO11 and the rest. */
export function normalisationFor(modelType: string): Normalisation {
  return /resnet|dinov3/i.test(modelType) ? imagenet : half;
}

/** The network's input size: a fixed [N,3,H,W] input wins, else the resize setting, else 640. */
export function targetSize(inputShape: ReadonlyArray<number | string>, resize: PreprocessSpec['resize']): { width: number; height: number } {
  const [, , h, w] = inputShape;
  if (typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0) return { width: w, height: h };
  return { width: resize.width ?? 640, height: resize.height ?? 640 };
}
