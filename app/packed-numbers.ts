// Numbers carried as base64 of their bytes instead of decimal JSON, when that is shorter: 250,000
// results with five scores each are 1.25 million confidences, plus as many class indices. Each
// list takes the narrowest kind that holds every value exactly:
// - unsigned integers in 1, 2 or 4 bytes (class indices, score counts, flags);
// - ten-thousandths in 2 bytes: the hosted API sends confidences with four decimals (0.3431, seven
//   characters with the comma; 2.7 in base64), and k / 10,000 is the very double "0.k" parses to;
// - float32 in 4 bytes (an on-device model's), else doubles in 8 (17-19 decimal characters each).
// Lossless: a value comes back as the very same double (-0 and NaN included, or the list stays
// decimal). Runs in main and in the page (Buffer only where there is one). Main's journal
// sidecars keep their columns in the same kinds, as raw bytes (bytesOf, numbersFromBytes).

// Globals of both the page and Node (16 and later); app/ is typed without either's library.
declare function btoa(data: string): string;
declare function atob(data: string): string;

/** u8/u16/u32: unsigned integers; e4: ten-thousandths (k / 10,000, k in 16 bits); f32, f64: IEEE-754. */
export type PackedKind = 'u8' | 'u16' | 'u32' | 'e4' | 'f32' | 'f64';

export interface PackedNumbers {
  kind: PackedKind;
  base64: string;
}

/** A list of numbers as it travels: plain, or packed when that is much shorter. */
export type NumberList = number[] | PackedNumbers;

type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;
interface TypedArrayOf {
  new (length: number): Typed;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): Typed;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed array each kind is held in (ten-thousandths as their k, in 16 bits). */
const arrays: Record<PackedKind, TypedArrayOf> = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, e4: Uint16Array, f32: Float32Array, f64: Float64Array };

/** Values whose decimal lengths are averaged to judge the JSON size (all would cost more): runs
 *  of `sampleRun` from `sampleRuns` places, since a stride could keep meeting the same score of
 *  each image (the top one, often short). */
const sampleRun = 500;
const sampleRuns = 4;
/** The JSON a packed list adds around its base64 ({"kind":"u16","base64":""}). */
const packedOverhead = 30;
/** String.fromCharCode arguments per call. */
const chunk = 0x8000;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** k when `v` is exactly k / 10,000 for a whole k ≥ 0 (the very double "0.k" parses to), else -1.
 *  -0 is not: it would come back as 0. */
export function tenThousandths(v: number): number {
  const k = Math.round(v * 1e4);
  return k >= 0 && !Object.is(k, -0) && Object.is(k / 1e4, v) ? k : -1;
}

/** The narrowest kind holding every value exactly. */
export function narrowestKind(values: ArrayLike<number>): PackedKind {
  let integers = true;
  let max = 0;
  let e4 = true;
  let f32 = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // -0 is an integer and 0 ten-thousandths, but would come back as 0.
    const negativeZero = Object.is(v, -0);
    if (integers && !negativeZero && Number.isInteger(v) && v >= 0) max = Math.max(max, v);
    else integers = false;
    if (e4) {
      const k = tenThousandths(v);
      e4 = k >= 0 && k <= 0xffff;
    }
    if (f32) f32 = Math.fround(v) === v;
    if (!integers && !e4 && !f32) return 'f64';
  }
  if (integers && max <= 0xff) return 'u8';
  if (integers && max <= 0xffff) return 'u16';
  if (integers && max <= 0xffffffff) return 'u32';
  return e4 ? 'e4' : f32 ? 'f32' : 'f64';
}

/** `values` packed, or null when their decimal JSON would be as short (or the platform is not
 *  little-endian, which no supported one is). */
export function packNumbers(values: readonly number[]): PackedNumbers | null {
  const n = values.length;
  if (n === 0 || !littleEndian) return null;
  let decimal = 0;
  let sampled = 0;
  for (let run = 0; run < sampleRuns; run++) {
    const from = Math.floor((n * run) / sampleRuns);
    for (let i = from; i < Math.min(n, from + sampleRun); i++, sampled++) decimal += String(values[i]).length + 1;
  }
  const kind = narrowestKind(values);
  if (((widthOf(kind) * 4) / 3) * 1.02 * n + packedOverhead >= (decimal / sampled) * n) return null;
  return { kind, base64: toBase64(bytesOf(kind, values)) };
}

/** Bytes of a kind's items (little-endian, as every supported platform is). */
export function widthOf(kind: PackedKind): number {
  return arrays[kind].BYTES_PER_ELEMENT;
}

export function isPackedKind(value: unknown): value is PackedKind {
  return typeof value === 'string' && Object.hasOwn(arrays, value);
}

/** The bytes of `values` as `kind` (ten-thousandths as their k), which must hold them exactly
 *  (narrowestKind). Filled by a plain loop: `TypedArray.from` with a mapping function took three
 *  times as long in main. */
export function bytesOf(kind: PackedKind, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const out = new arrays[kind](n);
  if (kind === 'e4') for (let i = 0; i < n; i++) out[i] = Math.round(values[i] * 1e4);
  else for (let i = 0; i < n; i++) out[i] = values[i];
  return new Uint8Array(out.buffer);
}

/** `values` packed when that is much shorter, else themselves. */
export function packedOrPlain(values: number[]): NumberList {
  return packNumbers(values) ?? values;
}

/** The values of a list, packed or plain. */
export function numbersOf(list: NumberList): ArrayLike<number> {
  return Array.isArray(list) ? list : unpackNumbers(list);
}

/** The values of `packed` (whole ones: a cut text gives those before the cut); empty when its
 *  text is not base64 or its kind is unknown. */
export function unpackNumbers(packed: PackedNumbers): ArrayLike<number> {
  if (!isPackedKind(packed.kind)) return [];
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(packed.base64);
  } catch {
    return [];
  }
  return numbersFromBytes(packed.kind, bytes);
}

/** The whole values of `kind` in `bytes` (bytesOf's inverse); ten-thousandths as doubles. */
export function numbersFromBytes(kind: PackedKind, bytes: Uint8Array): ArrayLike<number> {
  if (!littleEndian) return [];
  const width = widthOf(kind);
  // A typed array starts at a multiple of its item size: elsewhere, the bytes are copied first
  // (by the constructor: a Node Buffer's slice() would be a view).
  if (bytes.byteOffset % width !== 0) bytes = new Uint8Array(bytes);
  const count = Math.floor(bytes.length / width);
  if (kind !== 'e4') return new arrays[kind](bytes.buffer, bytes.byteOffset, count);
  const k = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = k[i] / 1e4;
  return out;
}

/** The fastest encoder at hand: the typed array's own (Chromium 140+), Node's Buffer (main), else
 *  one built from btoa. At 250,000 results the btoa path took 0.7 s of main's time per load. */
export function toBase64(bytes: Uint8Array): string {
  const own = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (typeof own === 'function') return own.call(bytes);
  const buffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  if (buffer) return buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return portableToBase64(bytes);
}

/** Node's Buffer, as far as toBase64 uses it (app/ is typed without Node's library). */
interface NodeBuffer {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'base64'): string };
}

/** toBase64 from btoa alone. */
export function portableToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let at = 0; at < bytes.length; at += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(at, at + chunk) as unknown as number[]);
  }
  return btoa(binary);
}

/** The bytes of base64 `text`; throws on text that is not base64. Node's Buffer is not used here:
 *  it skips what is not base64 instead of refusing it. */
export function fromBase64(text: string): Uint8Array {
  const own = (Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array }).fromBase64;
  if (typeof own === 'function') return own(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
