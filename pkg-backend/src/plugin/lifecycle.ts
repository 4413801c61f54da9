/**
 * Process-level behaviour Grafana expects (docs/protocol.md, Lifetime and shutdown): exit on SIGTERM or
 * Shutdown within Grafana's 2 s grace, optionally exit when the parent dies, and never die from a stray
 * exception. SIGINT also closes the pools and exits: issue #4 asks for it, where go-plugin's convention is to
 * ignore it. A Ctrl-C reaches Grafana's whole process group, so Grafana is stopping anyway and the plugin
 * leaves cleanly instead of being killed after the grace period.
 */
import type { Logger } from './logger.ts';

/** Logs instead of crashing: an unexpected error in one request must not restart the plugin for everyone. */
export function installProcessGuards(logger: Logger): void {
  process.on('uncaughtException', (err) => logger.error('uncaught exception (kept running)', { error: err }));
  process.on('unhandledRejection', (reason) =>
    logger.error('unhandled promise rejection (kept running)', { error: reason }),
  );
}

export function handleSignals(logger: Logger, onTerminate: (reason: string) => void): void {
  process.on('SIGTERM', () => onTerminate('SIGTERM'));
  process.on('SIGINT', () => {
    logger.debug('SIGINT received; closing pools and exiting');
    onTerminate('SIGINT');
  });
}

/** Grafana SIGKILLed → we are re-parented; exit rather than linger holding database connections. */
export function watchParent(onOrphaned: () => void, intervalMs = 2000): void {
  const initial = process.ppid;
  if (!initial || initial === 1) {
    return;
  }
  const timer = setInterval(() => {
    if (process.ppid !== initial) {
      clearInterval(timer);
      onOrphaned();
    }
  }, intervalMs);
  timer.unref();
}

/** Runs `cleanup` once, then exits; a hard deadline guarantees exit even if cleanup hangs. */
export function createShutdown(
  logger: Logger,
  cleanup: () => Promise<void>,
  deadlineMs = 1500,
): (reason: string) => void {
  let started = false;
  return (reason) => {
    if (started) {
      return;
    }
    started = true;
    logger.info('plugin stopping', { reason });
    setTimeout(() => {
      logger.warn('cleanup did not finish in time; exiting anyway');
      process.exit(0);
    }, deadlineMs);
    cleanup()
      .catch((err: unknown) => logger.error('cleanup failed', { error: err }))
      .finally(() => process.exit(0));
  };
}
