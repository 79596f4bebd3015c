import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { bytesOf, isPackedKind, narrowestKind, numbersFromBytes, widthOf, type PackedKind } from '../../app/packed-numbers';
import type { BriefStore } from './journal-briefs';
import { privateFileMode } from './paths';
import { nextTurn, type Turn } from './next-turn';

// A lean journal's index kept on disk beside it: each live key with its brief and where its line
// is, so re-opening reads a few MB instead of parsing every line (at 250,000 results, 146 MB of
// JSON, zod and summaries took seconds). It only stands for the journal whose size, mtime and
// inode it was written against; anything else (another process appended or compacted, the file
// was cut short, the sidecar is damaged) and the journal is read as before. The index also reads
// back a sample of lines and checks them against the sidecar before trusting it.

/** Briefs as the sidecar keeps them: numbers in columns (written as raw bytes: parsing them as
 *  JSON text took most of a re-open), the rest as JSON. */
export interface EncodedBriefs {
  json: unknown;
  columns: Array<ArrayLike<number>>;
}

/** How a journal's briefs are written into the sidecar and read back (checked: it is a file),
 *  straight between the index's brief store and the columns (no object per brief on the way). */
export interface BriefCodec<B, S extends BriefStore<B> = BriefStore<B>> {
  /** The store's first `count` rows. */
  encode(briefs: S, count: number): EncodedBriefs;
  /** A store of the `count` briefs `encode` wrote, or null when the value is not exactly that.
   *  Each brief must equal (as JSON, same field order) what the `brief` rule makes of its record. */
  decode(encoded: EncodedBriefs, count: number): S | null;
}

/** Which state of the journal file a sidecar stands for. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface SidecarData<B, S extends BriefStore<B> = BriefStore<B>> {
  /** Valid lines in the journal (live + superseded), and garbled ones, as the full read found. */
  lines: number;
  garbled: number;
  keys: string[];
  at: Float64Array;
  bytes: Float64Array;
  /** Row i is keys[i]'s brief. */
  briefs: S;
}

const version = 3;

/** The body's SHA-1 (hex). At 250,000 results the body is 16 MB: 10-16 ms here (web crypto's
 *  digest, tried for running off the event loop, took 72-87 ms and held the loop 61-65 ms of it). */
function digest(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** The values as doubles of their own (a copy, even of doubles: a view would hold what it views). */
function doubles(values: ArrayLike<number>): Float64Array {
  return new Float64Array(values);
}

/** Writes the sidecar atomically (a reader sees the old one or the whole new one), private to the user.
 *  Layout: a header line (JSON: the stamp, the body's SHA-1, the JSON part's length, each column's
 *  kind and length), then the JSON part, then the columns, each in the narrowest kind that holds
 *  all its values exactly (app/packed-numbers.ts: offsets and sizes in 4 bytes or fewer, flags in 1,
 *  the API's confidences in 2): at 250,000 results the sidecar went from 39 MB of doubles to 16 MB. */
export async function writeSidecar<B, S extends BriefStore<B>>(file: string, stamp: FileStamp, data: SidecarData<B, S>, codec: BriefCodec<B, S>): Promise<void> {
  const briefs = codec.encode(data.briefs, data.keys.length);
  const json = Buffer.from(JSON.stringify({ lines: data.lines, garbled: data.garbled, keys: data.keys, briefs: briefs.json }));
  const columns = [data.at, data.bytes, ...briefs.columns].map((values) => {
    const kind = narrowestKind(values);
    return { kind, length: values.length, bytes: bytesOf(kind, values) };
  });
  const body = Buffer.concat([json, ...columns.map((c) => c.bytes)]);
  const header = JSON.stringify({ v: version, size: stamp.size, mtimeMs: stamp.mtimeMs, ino: stamp.ino, sha1: digest(body), json: json.length, columns: columns.map((c) => [c.kind, c.length]) });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(temp, Buffer.concat([Buffer.from(header + '\n'), body]), { mode: privateFileMode });
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isColumn(value: unknown): value is [PackedKind, number] {
  return Array.isArray(value) && value.length === 2 && isPackedKind(value[0]) && isCount(value[1]);
}

function counts(values: Float64Array): boolean {
  // Indexed: the iterator took 53 ms of a 250k sidecar's read.
  for (let i = 0; i < values.length; i++) if (!Number.isInteger(values[i]) || values[i] < 0) return false;
  return true;
}

/** The sidecar's index when it stands for the journal as it is now (`stamp`), else null. Taken in
 *  steps with a `turn` of the event loop between them: at 250,000 results the read was one stretch
 *  of 0.3-0.4 s (1 s on a busy machine) in which main served nothing else, not the first screen's
 *  thumbnails nor the rest of a scan's listing. */
export async function readSidecar<B, S extends BriefStore<B>>(file: string, stamp: FileStamp, codec: BriefCodec<B, S>, turn: Turn = nextTurn): Promise<SidecarData<B, S> | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return null;
  }
  const nl = bytes.indexOf(0x0a);
  if (nl === -1) return null;
  try {
    const header: unknown = JSON.parse(bytes.toString('utf8', 0, nl));
    if (typeof header !== 'object' || header === null) return null;
    const h = header as Record<string, unknown>;
    if (h.v !== version || h.size !== stamp.size || h.mtimeMs !== stamp.mtimeMs || h.ino !== stamp.ino) return null;
    const body = bytes.subarray(nl + 1);
    if (!isCount(h.json) || !Array.isArray(h.columns) || !h.columns.every(isColumn) || h.sha1 !== digest(body)) return null;
    await turn();
    const described = h.columns as Array<[PackedKind, number]>;
    if (described.length < 2 || h.json + described.reduce((sum, [kind, length]) => sum + widthOf(kind) * length, 0) !== body.length) return null;
    const value: unknown = JSON.parse(body.toString('utf8', 0, h.json));
    if (typeof value !== 'object' || value === null) return null;
    await turn();
    const v = value as Record<string, unknown>;
    const keys = v.keys;
    if (!Array.isArray(keys) || !isCount(v.lines) || !isCount(v.garbled) || v.lines < keys.length) return null;
    for (const key of keys) if (typeof key !== 'string' || key.length === 0) return null;
    // Read where they lie (numbersFromBytes copies a column that starts off its item size): the
    // briefs' columns are copied into the brief store by the codec. The offsets are kept by the
    // index, so they are copied out as doubles: a view would hold the whole file.
    const columns: Array<ArrayLike<number>> = [];
    let from = h.json;
    for (const [kind, length] of described) {
      const to = from + widthOf(kind) * length;
      columns.push(numbersFromBytes(kind, body.subarray(from, to)));
      from = to;
    }
    const at = doubles(columns[0]);
    const lineBytes = doubles(columns[1]);
    const rest = columns.slice(2);
    if (at.length !== keys.length || lineBytes.length !== keys.length || !counts(at) || !counts(lineBytes)) return null;
    // Every line, with its newline, lies inside the file.
    for (let i = 0; i < keys.length; i++) if (at[i] + lineBytes[i] + 1 > stamp.size) return null;
    await turn();
    const briefs = codec.decode({ json: v.briefs, columns: rest }, keys.length);
    if (!briefs) return null;
    return { lines: v.lines, garbled: v.garbled, keys: keys as string[], at, bytes: lineBytes, briefs };
  } catch {
    return null;
  }
}
