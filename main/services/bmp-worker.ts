import { parentPort, threadId } from 'node:worker_threads';
import { decodeBmp, type BmpBudget } from './bmp';

// The worker thread's entry (bundled as dist/main/bmp-worker.mjs): decodes the BMPs it is sent,
// one message each, and posts back the pixels (transferred, not copied) or the reason it could not.

parentPort?.on('message', ({ id, bytes, budget }: { id: number; bytes: Uint8Array; budget: BmpBudget }) => {
  decodeBmp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), budget).then(
    (raw) => {
      const data = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
      parentPort?.postMessage({ id, ok: true, width: raw.width, height: raw.height, channels: raw.channels, data, threadId }, [data.buffer as ArrayBuffer]);
    },
    (error: unknown) => parentPort?.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
