import fs from 'node:fs/promises';
import { privateFileMode } from './paths';

// Compaction's new file: the live records only, written beside the journal, flushed, then renamed
// over it, so a reader sees either the old file or the whole new one.

const batchLines = 1000;

/** Replaces the file at `file` by one line per record. */
export async function writeCompacted(file: string, records: Iterable<unknown>): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const out = await fs.open(temp, 'w', privateFileMode);
  try {
    let batch: string[] = [];
    for (const record of records) {
      batch.push(JSON.stringify(record));
      if (batch.length >= batchLines) {
        await out.write(batch.join('\n') + '\n');
        batch = [];
      }
    }
    if (batch.length) await out.write(batch.join('\n') + '\n');
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.rename(temp, file);
}
