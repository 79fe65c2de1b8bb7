// Starts the relay as its own process (`relay/src/main.ts`, the same entry as `npm run relay`)
// on 127.0.0.1 and an ephemeral port, with its data directory and its log file where the
// demo can scan them afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface RelayProcess {
  httpUrl: string;
  wsUrl: string;
  dataDir: string;
  /** The file that receives the relay's stdout and stderr (scanned with the rest). */
  logFile: string;
  pid: number | undefined;
  /** SIGTERM (drain sockets, checkpoint the WAL), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** `extraArgs`: more relay flags (benchmarks raise the rate limits). */
export async function startRelayProcess(root: string, dataDir: string, timeoutMs = 30_000, extraArgs: string[] = []): Promise<RelayProcess> {
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'relay.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'relay/src/main.ts', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', ...extraArgs],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr!.pipe(log, { end: false });
  let out = '';
  const urls = await new Promise<{ httpUrl: string; wsUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited during start (code ${code})`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      log.write(d);
      out += d.toString('utf8');
      const m = /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ httpUrl: m[1]!, wsUrl: m[2]! });
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    ...urls,
    dataDir,
    logFile,
    pid: child.pid,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      await new Promise<void>((r) => log.end(() => r()));
    },
  };
}
