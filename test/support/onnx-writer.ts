// A tiny ONNX (protobuf) writer for tests: enough of ModelProto to build small classifiers whose
// answers can be computed by hand, so the on-device engine is tested with no Python, no network
// and no real Roboflow model. Field numbers are those of onnx/onnx.proto.

type Field = Buffer;

function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number): Field => Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, value: Buffer | string): Field => {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([key(field, 2), varint(data.length), data]);
};
const message = (field: number, parts: Field[]): Field => bytes(field, Buffer.concat(parts));
const float32 = (field: number, value: number): Field => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return Buffer.concat([key(field, 5), b]);
};

const FLOAT = 1;

/** A dimension: a number is fixed, a string is symbolic (dynamic). */
export type Dim = number | string;

function valueInfo(field: number, name: string, dims: Dim[]): Field {
  const shape = dims.map((d) => message(1, [typeof d === 'number' ? int(1, d) : bytes(2, d)]));
  const tensorType = message(1, [int(1, FLOAT), message(2, shape)]);
  return message(field, [bytes(1, name), message(2, [tensorType])]);
}

function initializer(name: string, dims: number[], values: readonly number[]): Field {
  const raw = Buffer.from(new Float32Array(values).buffer);
  return message(5, [...dims.map((d) => int(1, d)), int(2, FLOAT), bytes(8, name), bytes(9, raw)]);
}

interface Attribute {
  name: string;
  int?: number;
  float?: number;
  ints?: number[];
}

function node(op: string, inputs: string[], outputs: string[], attributes: Attribute[] = []): Field {
  const value = (a: Attribute): Field[] =>
    a.ints ? [...a.ints.map((i) => int(8, i)), int(20, 7)] : a.int !== undefined ? [int(3, a.int), int(20, 2)] : [float32(2, a.float ?? 0), int(20, 1)];
  const attrs = attributes.map((a) => message(5, [bytes(1, a.name), ...value(a)]));
  return message(1, [...inputs.map((i) => bytes(1, i)), ...outputs.map((o) => bytes(2, o)), bytes(4, op), ...attrs]);
}

export interface ColourModelOptions {
  /** Batch dimension: a number fixes it, a string makes it dynamic. Default 'N'. */
  batch?: Dim;
  /** Input height and width; strings make them dynamic. Default 224. */
  height?: Dim;
  width?: Dim;
  /** 3×C weights (row = input channel R, G, B; column = class), row-major. Default the 3×3 identity. */
  weights?: number[];
  /** Multi-label: a Sigmoid after the product. */
  sigmoid?: boolean;
  inputName?: string;
  /** Convolutions (each followed by a Relu) before the pooling, to give run() real work in
   *  benchmarks; their weights are pseudo-random, so the answers are no longer hand-computable. */
  convs?: Array<{ out: number; kernel: number; stride: number }>;
}

/** Deterministic pseudo-random weights in [-scale, scale). */
function noise(n: number, seed: number, scale: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/**
 * A classifier of the mean colour: GlobalAveragePool over the normalised NCHW input, Flatten, then
 * a 3×C MatMul (and an optional Sigmoid). With the identity, the logits are the mean normalised
 * R, G and B: a pure-red image is "red" only if the engine feeds RGB (not BGR) in NCHW order.
 */
export function colourModel(opts: ColourModelOptions = {}): Buffer {
  const batch = opts.batch ?? 'N';
  const input = opts.inputName ?? 'input';
  const convNodes: Field[] = [];
  const convInits: Field[] = [];
  let channels = 3;
  let last = input;
  (opts.convs ?? []).forEach((c, i) => {
    const w = `conv${i}.w`;
    convInits.push(initializer(w, [c.out, channels, c.kernel, c.kernel], noise(c.out * channels * c.kernel * c.kernel, i + 1, 1 / Math.sqrt(channels * c.kernel * c.kernel))));
    const pad = Math.floor(c.kernel / 2);
    convNodes.push(node('Conv', [last, w], [`conv${i}`], [{ name: 'kernel_shape', ints: [c.kernel, c.kernel] }, { name: 'strides', ints: [c.stride, c.stride] }, { name: 'pads', ints: [pad, pad, pad, pad] }]));
    convNodes.push(node('Relu', [`conv${i}`], [`relu${i}`]));
    last = `relu${i}`;
    channels = c.out;
  });
  const weights = opts.weights ?? (channels === 3 ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : noise(channels * 3, 99, 1));
  const classes = weights.length / channels;
  const nodes = [
    ...convNodes,
    node('GlobalAveragePool', [last], ['pooled']),
    node('Flatten', ['pooled'], ['flat'], [{ name: 'axis', int: 1 }]),
    node('MatMul', ['flat', 'weights'], [opts.sigmoid ? 'logits' : 'output']),
    ...(opts.sigmoid ? [node('Sigmoid', ['logits'], ['output'])] : []),
  ];
  const graph = message(7, [
    ...nodes,
    bytes(2, 'colour'),
    ...convInits,
    initializer('weights', [channels, classes], weights),
    valueInfo(11, input, [batch, 3, opts.height ?? 224, opts.width ?? 224]),
    valueInfo(12, 'output', [batch, classes]),
  ]);
  return Buffer.concat([int(1, 8), bytes(2, 'classify-desk-tests'), graph, message(8, [bytes(1, ''), int(2, 13)])]);
}
