import type { Api } from '../../../app/contract';
import type { EndpointStatus } from '../../../app/types';
import { toAppError } from '../api';

// Whether the inference endpoint can be reached, as main's endpoint monitor tells it: probed at
// start and on "Retry", pushed when a job finds it gone (or back). Only a network failure or a
// timeout counts as offline; a missing or malformed URL is a Settings problem, not an outage.

export class EndpointStore {
  #status = $state.raw<EndpointStatus | null>(null);
  get status() {
    return this.#status;
  }
  #checking = $state(false);
  get checking() {
    return this.#checking;
  }

  readonly offline = $derived(
    this.#status !== null && !this.#status.reachable && (this.#status.error?.code === 'network' || this.#status.error?.code === 'timeout'),
  );

  constructor(private readonly api: Api) {}

  /** Probes the endpoint now; answers whether it is reachable. */
  async check(): Promise<boolean> {
    this.#checking = true;
    try {
      this.onStatus(await this.api.endpointStatus({}));
    } catch (error) {
      const failure = toAppError(error);
      this.onStatus({ reachable: false, checkedAt: new Date().toISOString(), endpoint: this.#status?.endpoint ?? '', error: failure });
    } finally {
      this.#checking = false;
    }
    return !this.offline;
  }

  onStatus(status: EndpointStatus): void {
    // A late probe answer must not overwrite a newer push.
    if (this.#status && status.checkedAt < this.#status.checkedAt) return;
    this.#status = status;
  }
}
