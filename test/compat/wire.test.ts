import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { sendAwsError } from '../../src/compat/wire';
import { AppError } from '../../src/errors';

/** Errors on the wire, as the SDKs parse them, from a real HTTP server. */

test('errors on the wire: an unexpected one is a masked InternalServerException; a registry code keeps its exception and fields', async () => {
  const errors: unknown[] = [
    new Error('secret detail of a bug'),
    new AppError('QUEUE_FULL', 'busy', { retryAfterSeconds: 2 }),
    new AppError('QUOTA_EXCEEDED', 'too many', { quotaCode: 'Q', serviceCode: 'lookoutvision' }),
  ];
  const server = http.createServer((req, res) => sendAwsError(res, 'req-1', errors[Number(req.url!.slice(1))], pino({ level: 'silent' })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const internal = await fetch(`${url}/0`);
    expect([internal.status, internal.headers.get('x-amzn-errortype'), internal.headers.get('x-amzn-requestid'), internal.headers.get('retry-after')]).toEqual([
      500,
      'InternalServerException',
      'req-1',
      '1',
    ]);
    expect(await internal.json()).toEqual({ __type: 'InternalServerException', Message: 'Unexpected error.' });
    const busy = await fetch(`${url}/1`);
    expect([busy.status, busy.headers.get('x-amzn-errortype'), busy.headers.get('retry-after')]).toEqual([429, 'ThrottlingException', '2']);
    expect(await busy.json()).toMatchObject({ __type: 'ThrottlingException', Message: 'busy', ServiceCode: 'lookoutvision' });
    const quota = await fetch(`${url}/2`);
    expect(quota.status).toBe(402);
    expect(await quota.json()).toEqual({ __type: 'ServiceQuotaExceededException', Message: 'too many', QuotaCode: 'Q', ServiceCode: 'lookoutvision' });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
