/**
 * The full gateway for the benchmark, in its own process so its memory is measured alone:
 * Redis cache, the local engine with the demo model. Prints its port on stdout.
 */
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/server';
import { createServices } from '../../src/services';

async function main() {
  const config = loadConfig({ ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent', HOST: '127.0.0.1' });
  const gateway = await createGateway(await createServices(config, pino({ level: 'silent' })));
  const port = await gateway.listen(0, '127.0.0.1');
  process.stdout.write(`PORT ${port}\n`);
  process.on('SIGTERM', () => gateway.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
