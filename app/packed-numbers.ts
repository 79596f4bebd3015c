// Numbers carried as base64 of their IEEE-754 bytes instead of decimal JSON, when that is
// shorter: a confidence a model computed in float32 (on this computer) or as any double takes up
// to 17-19 decimal characters, and 250,000 results with five scores each carried 17 MB of them
// (the renderer benchmark's seeded ones) or 24 MB (the same as float32). 4 bytes per number (5.3
// base64 characters) when every value is exactly a float32, else 8 (10.7). Lossless: a value
// comes back as the very same double. Runs in main and in the page (Buffer only where there is one).

// Globals of both the page and Node (16 and later); app/ is typed without either's library.
declare function btoa(data: string): string;
declare function atob(data: string): string;

export interface PackedNumbers {
  /** 32: every value is exactly a float32; 64: doubles. */
  bits: 32 | 64;
  base64: string;
}

/** Values whose decimal lengths are averaged to judge the JSON size (all would cost more): runs
 *  of `sampleRun` from `sampleRuns` places, since a stride could keep meeting the same score of
 *  each image (the top one, often short). */
const sampleRun = 500;
const sampleRuns = 4;
/** String.fromCharCode arguments per call. */
const chunk = 0x8000;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
  const decimalPerValue = decimal / sampled;
  let float32 = true;
  for (let i = 0; i < n && float32; i++) float32 = Math.fround(values[i]) === values[i];
  const bits = float32 ? 32 : 64;
  if ((bits / 6) * 1.02 >= decimalPerValue) return null;
  const array = bits === 32 ? Float32Array.from(values) : Float64Array.from(values);
  return { bits, base64: toBase64(new Uint8Array(array.buffer)) };
}

/** The values of `packed` (whole ones: a cut text gives those before the cut); empty when its
 *  text is not base64. */
export function unpackNumbers(packed: PackedNumbers): Float32Array | Float64Array {
  const width = packed.bits === 32 ? 4 : 8;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(packed.base64);
  } catch {
    return new Float64Array(0);
  }
  if (!littleEndian) return new Float64Array(0);
  const count = Math.floor(bytes.length / width);
  return packed.bits === 32 ? new Float32Array(bytes.buffer, 0, count) : new Float64Array(bytes.buffer, 0, count);
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
