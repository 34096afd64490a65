/** How the long-running commands (serve, dashboard) end: at SIGINT or SIGTERM they close and the process exits 0. */
export function untilStopped(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.stderr.write('shutting down\n');
      void close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
