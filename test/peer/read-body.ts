import type { IncomingMessage } from 'node:http';

/** Reads a request body to the end, keeping at most `cap` bytes (the length counts them all). */
export async function readBody(req: IncomingMessage, cap: number): Promise<{ bytes: Buffer; length: number }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length <= cap) chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), length };
}
