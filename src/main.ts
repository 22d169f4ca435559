#!/usr/bin/env node
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { createGateway } from './server';
import { createServices } from './services';

/** `npm start`: config, services, server; SIGTERM/SIGINT drain in-flight requests, then exit. */
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
  const gateway = await createGateway(await createServices(config, log));
  const port = await gateway.listen(config.PORT);
  log.info({ port, backend: config.BACKEND, cache: config.REDIS_URL ? 'redis' : 'memory' }, `lookout-gateway ready: http://localhost:${port}/graphql`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
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
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
