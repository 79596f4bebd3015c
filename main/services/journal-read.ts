import { readSync } from 'node:fs';
import type fs from 'node:fs/promises';

// Reading a JSON-lines journal into a Map, "last record per key wins". Linear in the file size
// however long a line is: the pieces of a line are joined once, when its newline arrives, and a
// line longer than `maxLineBytes` (no record is) is skipped unread.

/** How a journal's lines become records, and which key a record lives under. */
export interface RecordRules<T, B = undefined> {
  /** Validates one parsed line; null/undefined rejects it (counted as garbled). */
  parse: (value: unknown) => T | null | undefined;
  key: (record: T) => string;
  /** When given, the journal keeps only this brief of each record (and where its line is) in
   *  memory, and reads the record back from the file when asked for it. */
  brief?: (record: T) => B;
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

/** A complete line's text (null for a line too long to have been held), its byte offset and byte length without the newline. */
type ApplyLine = (text: string | null, at: number, bytes: number) => void;

/** Where a valid line was found: what `readRange` hands each record to. */
export type OnRecord<T> = (record: T, at: number, bytes: number) => void;

/** Parses each line, handing its record to `onRecord` and counting lines and garbled ones into `result`. */
function lineApplier<T, B>(rules: RecordRules<T, B>, onRecord: OnRecord<T>, result: RangeResult): ApplyLine {
  return (text, at, bytes) => {
    if (text === null) {
      result.lines++;
      result.garbled++;
      return;
    }
    if (text.length === 0) return;
    result.lines++;
    const record = parseLine(text, rules);
    if (record == null) result.garbled++;
    else onRecord(record, at, bytes);
  };
}

/** One line's record, or null when it is not JSON or not a valid record. */
export function parseLine<T, B>(text: string, rules: RecordRules<T, B>): T | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return rules.parse(value) ?? null;
}

/** The start of a line that spans chunks, copied out of the reused read buffer; dropped once past the cap. */
class PartialLine {
  #pieces: Buffer[] = [];
  #length = 0;
  #oversized = false;
  /** File offset of the line's first byte. */
  start = 0;

  get length(): number {
    return this.#length;
  }

  add(bytes: Buffer, at: number): void {
    if (this.#length === 0) this.start = at;
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

/** Applies the lines `chunk` (read at file offset `position`) completes; answers the offset in it
 *  just after its last newline, or -1. */
function applyChunk(chunk: Buffer, position: number, partial: PartialLine, apply: ApplyLine): number {
  const first = chunk.indexOf(newline);
  if (first === -1) {
    partial.add(chunk, position);
    return -1;
  }
  const firstStart = partial.length ? partial.start : position;
  const firstBytes = partial.length + first;
  apply(partial.finish(chunk.subarray(0, first)), firstStart, firstBytes);
  // Newline bytes never occur inside a UTF-8 sequence, so decoding up to the last one and
  // splitting the text is safe, and much cheaper than decoding line by line.
  const last = chunk.lastIndexOf(newline);
  if (last > first) {
    const text = chunk.toString('utf8', first + 1, last);
    if (text.length === last - first - 1) {
      // All ASCII: character offsets are byte offsets.
      let at = position + first + 1;
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        apply(text.slice(from, nl), at, nl - from);
        at += nl - from + 1;
        from = nl + 1;
      }
      apply(text.slice(from), at, text.length - from);
    } else {
      // Multi-byte (or invalid) UTF-8: split on the bytes so each line's offset stays exact.
      let from = first + 1;
      for (let nl = chunk.indexOf(newline, from); nl !== -1 && nl <= last; nl = chunk.indexOf(newline, from)) {
        apply(chunk.toString('utf8', from, nl), position + from, nl - from);
        from = nl + 1;
      }
    }
  }
  if (last + 1 < chunk.length) partial.add(chunk.subarray(last + 1), position + last + 1);
  return last + 1;
}

/** Hands every valid complete line of `file` from `start` on to `onRecord`; a line without its newline is left. */
export async function readRange<T, B>(file: fs.FileHandle, start: number, rules: RecordRules<T, B>, onRecord: OnRecord<T>): Promise<RangeResult> {
  const result: RangeResult = { end: start, eof: start, lines: 0, garbled: 0 };
  const apply = lineApplier(rules, onRecord, result);
  const partial = new PartialLine();
  const buffer = Buffer.allocUnsafe(chunkSize);
  let position = start;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, chunkSize, position);
    if (bytesRead === 0) break;
    const end = applyChunk(buffer.subarray(0, bytesRead), position, partial, apply);
    if (end !== -1) result.end = position + end;
    position += bytesRead;
  }
  result.eof = position;
  return result;
}

const windowSize = 256 << 10;

/** Reads lines back from an open journal file by offset. Reads go through a window, so reading
 *  records in file order (an export, an evaluation) costs one read per window, not one per line.
 *  Synchronous: a record is asked for by code that expects it at once, as when it was in memory. */
export class LineSource {
  readonly #fd: number;
  #closed = false;
  #window = Buffer.alloc(0);
  #from = 0;
  #filled = 0;

  constructor(handle: fs.FileHandle) {
    this.#fd = handle.fd;
  }

  /** The line's text, or null once the file is closed or when it is shorter than asked. */
  read(at: number, bytes: number): string | null {
    if (this.#closed) return null;
    if (at < this.#from || at + bytes > this.#from + this.#filled) {
      if (this.#window.length < Math.max(windowSize, bytes)) this.#window = Buffer.allocUnsafe(Math.max(windowSize, bytes));
      this.#from = at;
      try {
        this.#filled = readSync(this.#fd, this.#window, 0, this.#window.length, at);
      } catch {
        // A read error (the disk, a file gone bad) makes the record unreadable, not the caller fail.
        this.#filled = 0;
        return null;
      }
      if (bytes > this.#filled) return null;
    }
    const offset = at - this.#from;
    return this.#window.toString('utf8', offset, offset + bytes);
  }

  /** Called before the file's handle closes: the descriptor's number may be reused. */
  close(): void {
    this.#closed = true;
    this.#window = Buffer.alloc(0);
    this.#filled = 0;
  }
}
