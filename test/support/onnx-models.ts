import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ModelInfo } from '../../main/services/on-device/model-store';
import { colourModel, type ColourModelOptions } from './onnx-writer';

// Ready-made on-device models for tests: the colour classifier of onnx-writer with a Roboflow-style
// environment.json, written straight into a data dir's model cache (as a pull would leave it).

export const colourClasses = ['red', 'green', 'blue'];

export interface FakeModel {
  onnx: Buffer;
  environment: Record<string, unknown>;
  modelType: string;
  type: string;
}

/** CLASS_MAP with keys out of order on purpose ("10" sorts before "2" as text). */
export function environmentFor(opts: { multiLabel?: boolean; resize?: Record<string, unknown> | null; preprocessing?: Record<string, unknown>; classes?: string[] } = {}): Record<string, unknown> {
  const classes = opts.classes ?? colourClasses;
  const classMap = Object.fromEntries(classes.map((c, i) => [String(i), c]).reverse());
  const resize = opts.resize === null ? {} : { resize: opts.resize ?? { enabled: true, format: 'Stretch to', width: '224', height: '224' } };
  return {
    CLASS_MAP: classMap,
    PREPROCESSING: JSON.stringify({ 'auto-orient': { enabled: true }, ...resize, ...opts.preprocessing }),
    MULTICLASS: opts.multiLabel ?? false,
  };
}

export function fakeModel(opts: { model?: ColourModelOptions; multiLabel?: boolean; modelType?: string; type?: string; resize?: Record<string, unknown> | null; preprocessing?: Record<string, unknown> } = {}): FakeModel {
  const multiLabel = opts.multiLabel ?? false;
  return {
    onnx: colourModel({ sigmoid: multiLabel, ...opts.model }),
    environment: environmentFor({ multiLabel, resize: opts.resize, preprocessing: opts.preprocessing }),
    modelType: opts.modelType ?? 'vit',
    type: opts.type ?? (multiLabel ? 'multi-label-classification' : 'classification'),
  };
}

/** Writes `fake` as the downloaded copy of `model` in `dataDir`; returns its model.json. */
export async function installModel(dataDir: string, model: string, fake: FakeModel): Promise<ModelInfo> {
  const [project, version] = model.split('/');
  const dir = path.join(dataDir, 'models', project, version);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'weights.onnx'), fake.onnx);
  await fs.writeFile(path.join(dir, 'environment.json'), JSON.stringify(fake.environment));
  const info: ModelInfo = {
    model,
    name: model,
    source: 'http://test.invalid',
    type: fake.type,
    modelType: fake.modelType,
    classes: colourClasses,
    multiLabel: fake.environment.MULTICLASS === true,
    size: fake.onnx.length,
    sha256: createHash('sha256').update(fake.onnx).digest('hex'),
    fetchedAt: new Date(0).toISOString(),
  };
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(info));
  return info;
}
