// electron-store imports electron; in the shell test it is replaced by conf on the same file name.
import Conf from 'conf';

export default class ElectronStoreStandIn extends Conf<Record<string, unknown>> {
  constructor(options: { name?: string; configFileMode?: number } = {}) {
    const electron = (globalThis as { __electron?: { paths: Map<string, string> } }).__electron;
    super({ cwd: electron?.paths.get('userData') ?? process.cwd(), configName: options.name ?? 'config', projectName: 'classify-desk', configFileMode: options.configFileMode });
  }
}
