import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import pkg from './package.json' with { type: 'json' };

// The package's entry points (`exports`), as the `#herald…` aliases services may import: `.` is `#herald`,
// `./runtime` is `#herald/runtime`. Adding an entry to package.json opens it to services here too.
const entries = Object.keys(pkg.exports)
  .filter((key) => key !== './package.json' && key !== '.')
  .map((key) => key.slice(2));

export default defineConfig(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Services build on Herald as any user would: through its entry points, never its internals.
    files: ['services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src', '**/src/**', '**/bin/**', 'herald', 'herald/*'],
              message: `services import Herald through its entry points only: #herald, ${entries.map((e) => `#herald/${e}`).join(', ')}`,
            },
            {
              regex: `^#herald/(?!(${entries.join('|')})$)`,
              message: `not an entry point of Herald (${entries.map((e) => `#herald/${e}`).join(', ')})`,
            },
          ],
        },
      ],
    },
  },
);
