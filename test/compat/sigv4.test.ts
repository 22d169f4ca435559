import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4, type SignedRequest } from '../../src/compat/sigv4';

/** Signature V4 checks, in process, against requests the AWS SDK's own signer made. */

describe('signature checks', () => {
  const key = { accessKeyId: 'AKIAUNITTEST00000001', secret: 'unit-test-secret-0123456789' };
  async function signed(overrides: { service?: string; date?: Date; headers?: Record<string, string> } = {}): Promise<SignedRequest> {
    const signer = new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secret },
      region: 'eu-west-1',
      service: overrides.service ?? 'lookoutvision',
      sha256: Hash.bind(null, 'sha256'),
    });
    const body = Buffer.from('{"ProjectName":"x"}');
    const r = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: 'gw',
        path: '/2020-11-20/projects',
        query: {},
        headers: { host: 'gw:4000', 'content-type': 'application/json', ...overrides.headers },
        body,
      },
      { signingDate: overrides.date },
    );
    return {
      method: 'POST',
      path: '/2020-11-20/projects',
      query: new URLSearchParams(),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body,
    };
  }

  test('a good signature for any region passes; one for another service does not', async () => {
    await expect(verifySigV4(await signed(), [key])).resolves.toEqual({ accessKeyId: key.accessKeyId });
    await expect(verifySigV4(await signed({ service: 's3' }), [key])).rejects.toMatchObject({
      code: 'INVALID_SIGNATURE',
      message: expect.stringMatching(/lookoutvision/),
    });
  });

  test('a date 16 minutes ahead is not yet current; one within 15 minutes is fine', async () => {
    const now = new Date();
    await expect(verifySigV4(await signed({ date: new Date(now.getTime() + 16 * 60_000) }), [key], now)).rejects.toMatchObject({
      code: 'INVALID_SIGNATURE',
      message: expect.stringMatching(/^Signature not yet current/),
    });
    await expect(verifySigV4(await signed({ date: new Date(now.getTime() - 14 * 60_000) }), [key], now)).resolves.toBeTruthy();
  });

  test('a malformed Authorization header and a missing signed header are refused', async () => {
    const req = await signed();
    await expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: 'Bearer x' } }, [key])).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const { 'content-type': _dropped, ...rest } = req.headers as Record<string, string>;
    await expect(verifySigV4({ ...req, headers: rest }, [key])).rejects.toMatchObject({
      code: 'INVALID_SIGNATURE',
      message: expect.stringMatching(/content-type is missing/),
    });
    await expect(verifySigV4(req, [])).rejects.toMatchObject({ code: 'UNKNOWN_ACCESS_KEY' });
  });
});
