import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { AppError } from '../errors';
import { constantTimeEqual } from '../secrets';

/**
 * AWS Signature Version 4, checked on the server. The SDKs sign every request; the check
 * rebuilds the signature with the same canonical request the client built, using the signer the
 * JavaScript SDK itself uses (so canonicalisation matches theirs byte for byte), over exactly
 * the headers the client says it signed, and compares in constant time.
 */

export interface AccessKey {
  accessKeyId: string;
  secret: string;
}

export interface SignedRequest {
  method: string;
  /** The path as it arrived, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Hex sha256 of `body`, when the caller has it already. */
  bodySha256?: string;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
/** How far a request's clock may be from ours, as AWS allows. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const SERVICE = 'lookoutvision';

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAmzDate(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

const amzDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

export async function verifySigV4(req: SignedRequest, keys: readonly AccessKey[], now = new Date()): Promise<{ accessKeyId: string }> {
  const auth = header(req, 'authorization');
  if (!auth) throw new AppError('MISSING_AUTHENTICATION');
  const m = AUTH.exec(auth.trim());
  if (!m) throw new AppError('INVALID_SIGNATURE', 'Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256).');
  const [, accessKeyId, scopeDate, region, service, signedList, signature] = m;

  // Every configured key is compared, with no early exit, so timing does not tell which exist.
  let key: AccessKey | undefined;
  for (const k of keys) if (constantTimeEqual(k.accessKeyId, accessKeyId) && !key) key = k;
  if (!key) throw new AppError('UNKNOWN_ACCESS_KEY');

  if (service !== SERVICE) throw new AppError('INVALID_SIGNATURE', `Credential should be scoped to correct service: '${SERVICE}'.`);
  const dateText = header(req, 'x-amz-date') ?? '';
  const date = parseAmzDate(dateText);
  if (!date) throw new AppError('INVALID_SIGNATURE', 'The request must carry an X-Amz-Date header (yyyyMMddTHHmmssZ).');
  if (!dateText.startsWith(scopeDate))
    throw new AppError(
      'INVALID_SIGNATURE',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${dateText.slice(0, 8)}'.`,
    );
  const skew = date.getTime() - now.getTime();
  if (skew < -MAX_SKEW_MS)
    throw new AppError(
      'INVALID_SIGNATURE',
      `Signature expired: ${dateText} is now earlier than ${amzDate(new Date(now.getTime() - MAX_SKEW_MS))} (${amzDate(now)} - 15 min.)`,
    );
  if (skew > MAX_SKEW_MS)
    throw new AppError(
      'INVALID_SIGNATURE',
      `Signature not yet current: ${dateText} is still later than ${amzDate(new Date(now.getTime() + MAX_SKEW_MS))} (${amzDate(now)} + 15 min.)`,
    );

  const signed = signedList.split(';');
  if (!signed.includes('host')) throw new AppError('INVALID_SIGNATURE', "'Host' must be a signed header.");
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(req, name);
    if (value === undefined) throw new AppError('INVALID_SIGNATURE', `The signed header ${name} is missing from the request.`);
    headers[name] = value;
  }
  // A client that states the payload hash signs that statement, not the body: hold it to it.
  const bodyHash = req.bodySha256 ?? createHash('sha256').update(req.body).digest('hex');
  const stated = header(req, 'x-amz-content-sha256');
  if (stated !== undefined && stated !== bodyHash)
    throw new AppError('INVALID_SIGNATURE', "The provided 'x-amz-content-sha256' header does not match what was computed.");

  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: key.secret },
    region,
    service: SERVICE,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: req.method,
      protocol: 'https:',
      hostname: headers.host,
      path: req.path,
      query,
      headers: { ...headers, 'x-amz-content-sha256': bodyHash },
      body: req.body,
    },
    { signingDate: date, signableHeaders: new Set(signed), unsignableHeaders: new Set(['x-amz-content-sha256'].filter((h) => !signed.includes(h))) },
  );
  const got = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
  if (!timingSafeEqual(Buffer.from(got, 'hex'), Buffer.from(signature, 'hex'))) {
    throw new AppError(
      'INVALID_SIGNATURE',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId };
}
