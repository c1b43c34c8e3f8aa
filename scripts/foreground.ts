/**
 * Keeps a script in the foreground until SIGINT, SIGTERM or SIGHUP, then stops what it started.
 * The servers' child handles are unref'd, so a timer keeps the process alive meanwhile.
 */
export function untilSignal(stop: () => Promise<void>, log: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) return;
      stopping = true;
      log("stopping…");
      stop()
        .catch((e: unknown) => log(`stop failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          clearInterval(keepAlive);
          resolve();
        });
    };
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
  });
}
