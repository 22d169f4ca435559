import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/engine/cli/main';
import { captureCliOutput } from '../helpers/cli-output';

/** The CLI says its version, helps per command, and refuses every flag it would otherwise ignore. */

const { out, err } = captureCliOutput();

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  expect(await main(['--version'])).toBe(0);
  expect(out.join('')).toBe(`${version}\n`);
  expect(await main(['-v'])).toBe(0);
});

test.each(['train', 'detect', 'eval', 'sensitivity'])('%s --help shows that command alone', async (command) => {
  expect(await main([command, '--help'])).toBe(0);
  const help = out.join('');
  expect(help).toMatch(new RegExp(`^Usage: lookout-engine ${command} `));
  for (const other of ['--out <model-dir>', '--mask <file.png>'].filter(
    (o) => !(command === 'train' && o.startsWith('--out')) && !(command === 'detect' && o.startsWith('--mask')),
  ))
    expect(help).not.toContain(other);
});

test.each([
  [['detect', 'model', 'image.png', '--out', 'x'], /detect does not take --out/],
  [['train', 'data', '--out', 'm', '--mask', 'x.png'], /train does not take --mask/],
  [['sensitivity', 'model', '--verbose'], /sensitivity does not take --verbose/],
  [['train', 'data', '--no-such-flag'], /Unknown option '--no-such-flag'/],
  [['bogus'], /Unknown command "bogus"/],
])('%j exits 1 with a clear message', async (argv, message) => {
  expect(await main(argv as string[])).toBe(1);
  expect(err.join('')).toMatch(message);
});
