// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * The layers, bottom to top. A file may import from its own layer and from any layer below it,
 * never from one above: engine -> projects -> detection -> masks -> graphql -> http | compat ->
 * server. Below them all, the foundation (src/*.ts beside the entry points, src/lib and src/auth) may
 * be used by every layer and uses none. ARCHITECTURE.md explains what lives where.
 */
const LAYERS = ['engine', 'projects', 'detection', 'masks', 'graphql', ['http', 'compat']];
const ENTRY_POINTS = ['server', 'services', 'main'];

/**
 * Relative import strings that leave a file's folder `depth` levels below src/ and enter one of
 * `names` (a folder of src/, or an entry point). Anchored on the climb, so engine/dataset/masks
 * is not taken for the masks layer, nor @apollo/server for the server.
 */
const reaching = (depth, names) => (depth === 0 ? `^\\./(${names.join('|')})(/|$)` : `^(\\.\\./){${depth}}(${names.join('|')})(/|$)`);
const DEPTHS = [1, 2, 3, 4];
const filesAt = (dir, depth) => [
  `src/${dir}/${Array(depth - 1)
    .fill('*')
    .concat('*.ts')
    .join('/')}`,
];

const layerRules = LAYERS.flatMap((layer, index) => {
  const names = [layer].flat();
  const forbidden = [...LAYERS.slice(index + 1).flat(), ...ENTRY_POINTS];
  return names.flatMap((name) =>
    DEPTHS.map((depth) => ({
      files: filesAt(name, depth),
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: reaching(depth, [...forbidden, ...names.filter((n) => n !== name)]),
                message: `src/${name} may import only from its own layer and the ones below it (see ARCHITECTURE.md).`,
              },
            ],
          },
        ],
      },
    })),
  );
});

const foundationMessage = 'The foundation is used by every layer and uses none (see ARCHITECTURE.md).';
const everyLayer = [...LAYERS.flat(), ...ENTRY_POINTS];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'src/graphql/__generated__/**', 'web/src/gql/**', 'coverage/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/*.ts'],
    ignores: ENTRY_POINTS.map((n) => `src/${n}.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: reaching(0, everyLayer), message: foundationMessage }] }] },
  },
  {
    files: ['src/auth/*.ts', 'src/lib/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: reaching(1, everyLayer), message: foundationMessage }] }] },
  },
  ...layerRules,
  {
    files: ['**/*.js', '**/*.mjs', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  { files: ['**/*.js'], languageOptions: { globals: { module: 'readonly', require: 'readonly', __dirname: 'readonly', process: 'readonly' } } },
);
