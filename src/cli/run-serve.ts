/**
 * Runs the server until a signal: first SIGTERM/SIGINT drains gracefully, a second exits at once.
 */
import { startServer, StartupError } from '../app.js';
import type { ServerOptions } from '../config/server-options.js';

/** Starts the server and installs signal handlers; resolves once shutdown has finished. */
export async function runServe(options: ServerOptions): Promise<void> {
  let server;
  try {
    server = await startServer(options);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`inferd: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        running.log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      signalled = true;
      running.log.info({ signal, timeoutSecs: options.exitTimeoutSecs }, 'shutting down: finishing in-flight requests');
      const timer = setTimeout(() => {
        running.log.warn('exit timeout reached: exiting with requests still in flight');
        process.exit(1);
      }, options.exitTimeoutSecs * 1000);
      timer.unref();
      void running.close().then(() => {
        clearTimeout(timer);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
