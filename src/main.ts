#!/usr/bin/env node
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { isAppError } from './errors';
import { createGateway } from './server';
import { createServices } from './services';
import { DatabaseStartError } from './projects/open-records';

/**
 * `npm start`: config, services, server. SIGTERM/SIGINT drain in-flight requests, then exit;
 * within SHUTDOWN_TIMEOUT_MS whatever happens (an orchestrator's SIGKILL follows soon after,
 * and a process that lingers keeps its data folder's lock from its replacement).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = pino({ level: config.LOG_LEVEL });
  const gateway = await createGateway(
    await createServices(config, log, (err) => {
      log.fatal({ err }, 'the data folder lock was lost: another process took DATA_DIR over; exiting');
      process.exit(1);
    }),
  );
  const port = await gateway.listen(config.PORT);
  log.info({ port, backend: config.BACKEND, cache: config.REDIS_URL ? 'redis' : 'memory' }, `lookout-gateway ready: http://localhost:${port}/graphql`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      log.warn({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting now (trainings resume at the next start)');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    gateway.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  // A refusal the operator can act on (another process holds DATA_DIR, the database is down) needs no stack.
  process.stderr.write(
    `${isAppError(err) || err instanceof DatabaseStartError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
