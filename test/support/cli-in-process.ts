import { Writable } from 'node:stream';
import { main } from '../../main/cli';

// The CLI run in this process through main(argv, io), with its own data folder and captured
// output: no child process per call, so CLI tests stay fast.

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs `classify-desk <args>` with CLASSIFY_DESK_HOME=home and only the variables in `env` (none of
 * this machine's, such as a ROBOFLOW_API_KEY); resolves to its exit code and output.
 */
export async function runCli(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdin: process.stdin, stdout: out.stream, stderr: err.stream, env: { CLASSIFY_DESK_HOME: home, ...env } });
  return { code, stdout: out.text(), stderr: err.text() };
}
