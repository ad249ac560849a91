// Cleanups that must run however a benchmark ends: normally (the caller awaits them in a finally),
// or on Ctrl-C / SIGTERM, when they run before the process exits, newest first (what a benchmark
// made goes before the engines it made it in).
type Cleanup = () => Promise<void> | void;

const pending: Cleanup[] = [];
let installed = false;

/** Registers a cleanup; the returned function runs it once and unregisters it. */
export function onCleanup(cleanup: Cleanup): () => Promise<void> {
  install();
  pending.push(cleanup);
  let done: Promise<void> | undefined;
  return () => {
    const at = pending.indexOf(cleanup);
    if (at >= 0) pending.splice(at, 1);
    done ??= Promise.resolve().then(cleanup);
    return done;
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}: cleaning up what this run created`);
      void (async () => {
        for (const cleanup of pending.splice(0).reverse()) {
          try {
            await cleanup();
          } catch (err) {
            console.error(`bench: a cleanup failed: ${(err as Error).message}`);
          }
        }
      })().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}
