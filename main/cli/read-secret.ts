// Reads a secret from stdin. On a terminal: prompt on stderr, raw mode so nothing is echoed, line
// editing limited to backspace, Enter to finish, Ctrl-C to abort. From a pipe: all of stdin, trimmed.

type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

export interface SecretInput {
  value: string;
  interrupted: boolean;
}

/** Reads one secret; never echoes it, never throws for an empty or interrupted read. */
export async function readSecret(stdin: Input, stderr: NodeJS.WritableStream, prompt: string): Promise<SecretInput> {
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') return readFromTerminal(stdin, stderr, prompt);
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return { value: text.trim(), interrupted: false };
}

function readFromTerminal(stdin: Input, stderr: NodeJS.WritableStream, prompt: string): Promise<SecretInput> {
  const setRaw = (on: boolean) => stdin.setRawMode?.call(stdin, on);
  return new Promise((resolve) => {
    let chars: string[] = [];
    const finish = (interrupted: boolean) => {
      stdin.removeListener('data', onData);
      setRaw(false);
      stdin.pause();
      stderr.write('\n');
      const value = interrupted ? '' : chars.join('').trim();
      chars = [];
      resolve({ value, interrupted });
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      // Arrow keys and other escape sequences arrive as one chunk starting with ESC: ignore them.
      if (text.startsWith('\x1b')) return;
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish(false);
        if (ch === '\x03') return finish(true);
        if (ch === '\x04') {
          if (chars.length === 0) return finish(false);
          continue;
        }
        if (ch === '\x7f' || ch === '\b') {
          chars.pop();
          continue;
        }
        if (ch === '\x15') {
          chars = []; // Ctrl-U clears the line, as at a shell prompt
          continue;
        }
        if (ch >= ' ') chars.push(ch);
      }
    };
    // Echo goes off before the prompt shows, so nothing typed after seeing the prompt is echoed.
    setRaw(true);
    stderr.write(prompt);
    stdin.on('data', onData);
    stdin.resume();
  });
}
