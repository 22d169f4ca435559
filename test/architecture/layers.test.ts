import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layer rule (eslint.config.mjs) as a user of it sees it: ESLint on a source text placed in
 * a layer. A backward import fails the lint (and so `npm test`); the same import the other way,
 * and an inner folder that shares a layer's name, pass.
 */

const ROOT = join(__dirname, '..', '..');

function lint(filePath: string, code: string): { ok: boolean; output: string } {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', filePath, '--rule', '@typescript-eslint/no-unused-vars: off'],
    { cwd: ROOT, input: code, encoding: 'utf8' },
  );
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

test.each([
  [
    'the engine reaching up into projects',
    'src/engine/training/x.ts',
    "import { ProjectRegistry } from '../../projects/registry';\nexport type X = ProjectRegistry;\n",
  ],
  ['projects reaching up into detection', 'src/projects/x.ts', "import type { ModelInfo } from '../detection/backends/backend';\nexport type X = ModelInfo;\n"],
  ['graphql reaching up into http', 'src/graphql/resolvers/x.ts', "import { sendJson } from '../../http/respond';\nexport const x = sendJson;\n"],
  ['the foundation reaching into a layer', 'src/config-extra.ts', "import { Buckets } from './projects/locations';\nexport const x = Buckets;\n"],
  ['compat reaching sideways into http', 'src/compat/x.ts', "import { sendJson } from '../http/respond';\nexport const x = sendJson;\n"],
])('%s fails the lint', (_name, file, code) => {
  const r = lint(file, code);
  expect(r.ok).toBe(false);
  expect(r.output).toMatch(/may import only from its own layer|The foundation is used by every layer/);
});

test.each([
  ['projects using the engine', 'src/projects/x.ts', "import { trainModel } from '../engine/train';\nexport const x = trainModel;\n"],
  ['the engine using its own dataset/masks', 'src/engine/x.ts', "import { readMaskLabels } from './dataset/masks';\nexport const x = readMaskLabels;\n"],
  ['graphql using @apollo/server', 'src/graphql/x.ts', "import type { ApolloServerPlugin } from '@apollo/server';\nexport type X = ApolloServerPlugin;\n"],
  [
    'the server using everything',
    'src/server.ts',
    "import { sendJson } from './http/respond';\nimport { trainModel } from './engine/train';\nexport const x = [sendJson, trainModel];\n",
  ],
])('%s passes', (_name, file, code) => {
  const r = lint(file, code);
  expect(r.output).toBe('');
  expect(r.ok).toBe(true);
});
