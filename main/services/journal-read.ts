import type fs from 'node:fs/promises';

// Reading a JSON-lines journal into a Map, "last record per key wins". Linear in the file size
// however long a line is: the pieces of a line are joined once, when its newline arrives, and a
// line longer than `maxLineBytes` (no record is) is skipped unread.

/** How a journal's lines become records, and which key a record lives under. */
export interface RecordRules<T> {
  /** Validates one parsed line; null/undefined rejects it (counted as garbled). */
  parse: (value: unknown) => T | null | undefined;
  key: (record: T) => string;
}

export interface RangeResult {
  /** Offset just after the last complete line read. */
  end: number;
  /** Offset where reading stopped (end of file at that moment). */
  eof: number;
  lines: number;
  garbled: number;
}

export const newline = 0x0a;
const chunkSize = 1 << 20;
/** Longer lines are no record of ours (a response is a few KB): skipped without being held. */
const maxLineBytes = 16 << 20;

/** A complete line's text, or null for a line too long to have been held. */
type ApplyLine = (text: string | null) => void;

/** Parses each line into `map`, counting lines and garbled ones into `result`. */
function lineApplier<T>(rules: RecordRules<T>, map: Map<string, T>, result: RangeResult): ApplyLine {
  return (text) => {
    if (text === null) {
      result.lines++;
      result.garbled++;
      return;
    }
    if (text.length === 0) return;
    result.lines++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      result.garbled++;
      return;
    }
    const record = rules.parse(value);
    if (record == null) result.garbled++;
    else map.set(rules.key(record), record);
  };
}

/** The start of a line that spans chunks, copied out of the reused read buffer; dropped once past the cap. */
class PartialLine {
  #pieces: Buffer[] = [];
  #length = 0;
  #oversized = false;

  add(bytes: Buffer): void {
    this.#length += bytes.length;
    if (this.#length > maxLineBytes) {
      this.#oversized = true;
      this.#pieces = [];
    }
    if (!this.#oversized) this.#pieces.push(Buffer.from(bytes));
  }

  /** Ends the line with `tail` (its bytes before the newline): its text, or null when it was too long. */
  finish(tail: Buffer): string | null {
    const text = this.#oversized ? null : (this.#pieces.length ? Buffer.concat([...this.#pieces, tail]) : tail).toString('utf8');
    this.#pieces = [];
    this.#length = 0;
    this.#oversized = false;
    return text;
  }
}

/** Applies the lines `chunk` completes; answers the offset in it just after its last newline, or -1. */
function applyChunk(chunk: Buffer, partial: PartialLine, apply: ApplyLine): number {
  const first = chunk.indexOf(newline);
  if (first === -1) {
    partial.add(chunk);
    return -1;
  }
  apply(partial.finish(chunk.subarray(0, first)));
  // Newline bytes never occur inside a UTF-8 sequence, so decoding up to the last one and
  // splitting the text is safe, and much cheaper than decoding line by line.
  const last = chunk.lastIndexOf(newline);
  if (last > first) {
    const text = chunk.toString('utf8', first + 1, last);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      apply(text.slice(from, nl));
      from = nl + 1;
    }
    apply(text.slice(from));
  }
  if (last + 1 < chunk.length) partial.add(chunk.subarray(last + 1));
  return last + 1;
}

/** Applies every complete line of `file` from `start` on into `map`; a line without its newline is left. */
export async function readRange<T>(file: fs.FileHandle, start: number, rules: RecordRules<T>, map: Map<string, T>): Promise<RangeResult> {
  const result: RangeResult = { end: start, eof: start, lines: 0, garbled: 0 };
  const apply = lineApplier(rules, map, result);
  const partial = new PartialLine();
  const buffer = Buffer.allocUnsafe(chunkSize);
  let position = start;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, chunkSize, position);
    if (bytesRead === 0) break;
    const end = applyChunk(buffer.subarray(0, bytesRead), partial, apply);
    if (end !== -1) result.end = position + end;
    position += bytesRead;
  }
  result.eof = position;
  return result;
}
