import type { Api, Events } from '../../app/contract';
import type { FolderInfo } from '../../app/types';

// The folder the window opens at start, asked for before the app mounts: the request and main's
// listing then overlap the page's own start (bundle, mount, settings) instead of following it.
// Scan events that arrive before the library store exists are kept, in order, and handed to it.

type ScanEventName = 'scanBatch' | 'scanDone' | 'scanProblem';
export type HeldScanEvent = { [E in ScanEventName]: [E, Events[E]] }[ScanEventName];

export interface StartFolder {
  /** Main's answer: the folder it opened, or null when there is none to open at start. */
  readonly answer: Promise<FolderInfo | null>;
  /** The scan events held so far; stops holding (the caller listens from now on). Call once. */
  take(): HeldScanEvent[];
}

const scanEvents: ScanEventName[] = ['scanBatch', 'scanDone', 'scanProblem'];

/** Listens for scan events first (the browser host's requests wait until its event stream is
 *  open, so none can slip past), then asks main to open its start folder. */
export function openStartFolder(api: Api): StartFolder {
  const held: HeldScanEvent[] = [];
  const off = scanEvents.map((name) => api.on(name, (payload: Events[typeof name]) => void held.push([name, payload] as HeldScanEvent)));
  const answer = api.openStartFolder({});
  // The library store reports a failure when it takes the answer; until then it is not unhandled.
  answer.catch(() => undefined);
  let taken = false;
  return {
    answer,
    take() {
      if (!taken) off.forEach((unsubscribe) => unsubscribe());
      taken = true;
      return held.splice(0);
    },
  };
}
