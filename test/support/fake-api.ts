import { channelNames, type Api, type Channel, type EventName, type Events, type RequestOf, type ResponseOf } from '../../app/contract';
import { appError } from '../../app/errors';
import { encodeResults } from '../../app/result-columns';

// An in-memory `window.api` for renderer unit tests: it stands in for main across IPC. Each test
// answers the channels it needs (`handle`); any other call rejects with an AppError naming the
// channel, as main would refuse an unknown request. Events are pushed with `emit`.

type Handler<C extends Channel> = (request: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>;
export type Handlers = { [C in Channel]?: Handler<C> };

export interface Call {
  channel: Channel;
  request: unknown;
}

export interface FakeApi extends Api {
  /** Every channel call, in order. */
  readonly calls: Call[];
  /** Answers `channel` with `handler` from now on. */
  handle<C extends Channel>(channel: C, handler: Handler<C>): void;
  /** The requests made on one channel. */
  requests<C extends Channel>(channel: C): Array<RequestOf<C>>;
  /** Pushes an event to the listeners, as main does. */
  emit<E extends EventName>(event: E, payload: Events[E]): void;
}

export function fakeApi(initial: Handlers = {}): FakeApi {
  const handlers: Handlers = { ...initial };
  const calls: Call[] = [];
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const api: Record<string, unknown> = {
    calls,
    handle<C extends Channel>(channel: C, handler: Handler<C>) {
      (handlers as Record<Channel, unknown>)[channel] = handler;
    },
    requests<C extends Channel>(channel: C) {
      return calls.filter((call) => call.channel === channel).map((call) => call.request as RequestOf<C>);
    },
    emit<E extends EventName>(event: E, payload: Events[E]) {
      for (const listener of listeners.get(event) ?? []) (listener as (p: Events[E]) => void)(payload);
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: never) => void);
    },
    chooseDropped: (file: File) => Promise.resolve(file.name),
  };
  // Tests answer stored results as summaries (`resultsPage`); the stores read them as columns.
  const columnsFromPage = async (request: RequestOf<'resultsPage'>) => {
    const page = await (api.resultsPage as Api['resultsPage'])(request);
    return encodeResults(page.total, page.items);
  };
  for (const channel of channelNames) {
    api[channel] = async (request: unknown) => {
      if (channel === 'resultsColumns' && !handlers.resultsColumns && handlers.resultsPage) return columnsFromPage(request as RequestOf<'resultsPage'>);
      calls.push({ channel, request });
      const handler = handlers[channel] as ((request: unknown) => unknown) | undefined;
      if (!handler) throw appError('internal', `The fake api does not answer ${channel}.`);
      return handler(request);
    };
  }
  return api as unknown as FakeApi;
}
