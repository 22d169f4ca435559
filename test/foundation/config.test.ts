import { ConfigError, loadConfig } from '../../src/config';

/** Settings: every problem listed at once, secrets never echoed. */

test('bad protocol settings are all listed at once, secrets never echoed', () => {
  let err: ConfigError | undefined;
  try {
    loadConfig({
      LFV_ACCESS_KEYS: 'AK:short,GOODKEYID0001:long-enough-secret-1234',
      S3_BUCKETS: 'x=/tmp,ok-bucket=',
      LFV_ACCOUNT_ID: '12',
      GRAPHQL_ADMIN_TOKEN: 'tiny',
    });
  } catch (e) {
    err = e as ConfigError;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const text = err!.problems.join('\n');
  expect(text).toMatch(/LFV_ACCESS_KEYS: key id "AK" must be 4-128 letters or digits/);
  expect(text).toMatch(/LFV_ACCESS_KEYS: the secret of key "AK" must have at least 16 characters/);
  expect(text).toMatch(/S3_BUCKETS: "x=\/tmp" must be bucket=folder/);
  expect(text).toMatch(/S3_BUCKETS: bucket "ok-bucket" has no folder/);
  expect(text).toMatch(/LFV_ACCOUNT_ID: must be 12 digits/);
  expect(text).toMatch(/GRAPHQL_ADMIN_TOKEN/);
  expect(text).not.toMatch(/short/);
});

test('uploads cannot be sent to a storage that is not configured', () => {
  let err: ConfigError | undefined;
  try {
    loadConfig({ UPLOADS_VIA: 'storage' });
  } catch (e) {
    err = e as ConfigError;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect(err!.problems.join('\n')).toMatch(/UPLOADS_VIA: storage needs ARTIFACTS_URL and BACKEND=local/);
  expect(loadConfig({ UPLOADS_VIA: 'storage', ARTIFACTS_URL: 's3://models-bucket/m' }).UPLOADS_VIA).toBe('storage');
});
