import type { SpawnWorker, WorkerHost } from './pool';
import { workerFile } from './pool';
import type { InitMessage, WorkerReply } from './worker-protocol';

// Inference workers as Electron utility processes instead of worker threads. ONNX Runtime's issue
// #20084 reports Electron crashing when several worker threads load onnxruntime-node (each thread
// loads the native addon into the one main process; a fault in one takes the window down). A
// utilityProcess is a Node process of its own, started by Electron with its asar support: a worker
// that crashes ends alone, the pool sees it exit and starts another. Only main/index.ts may import
// electron, so it hands `utilityProcess.fork` in (compose -> app engine -> pool), and this file
// knows only the shape of what fork returns.
//
// The protocol is the worker thread's (worker-protocol.ts) with one addition: a process has no
// workerData, so the first message is `{type: 'init', init}`.

/** The part of Electron's UtilityProcess the adapter uses. */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

/** `utilityProcess.fork` (Electron), or a stand-in with the same shape. */
export type ForkUtilityProcess = (modulePath: string, args: string[], options: { serviceName: string; stdio?: 'inherit' | 'ignore' | 'pipe' }) => UtilityProcessLike;

export function utilityProcessSpawn(fork: ForkUtilityProcess, modulePath: () => string = () => workerFile()): SpawnWorker {
  return (init): WorkerHost => {
    const child = fork(modulePath(), [], { serviceName: 'Classify Desk inference', stdio: 'inherit' });
    let exited = false;
    let onExit: ((why: string) => void) | null = null;
    const exitedPromise = new Promise<void>((resolve) =>
      child.on('exit', (code) => {
        const first = !exited;
        exited = true;
        resolve();
        if (first) onExit?.(`exit code ${code}`);
      }),
    );
    child.postMessage({ type: 'init', init } satisfies InitMessage);
    return {
      postMessage: (message) => child.postMessage(message),
      onMessage: (listener) => void child.on('message', (message) => listener(message as WorkerReply)),
      onExit: (listener) => (onExit = listener),
      async terminate() {
        if (exited) return;
        // A terminated worker is not a crash: the pool asked for it.
        onExit = null;
        child.kill();
        await exitedPromise;
      },
    };
  };
}
