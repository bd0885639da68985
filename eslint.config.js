import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/build/**', '**/.tmp/**', 'runs/**', '**/node_modules/**', 'docs/api/**', '**/.turbo/**', '**/fixtures/**', 'packages/ops/gradients/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly' },
    },
    rules: {
      // One seeded RNG per run (DESIGN.md): Math.random is banned.
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded Rng from @voxnas/volume.' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'List named exports explicitly (STYLE.md).' },
      ],
    },
  },
  {
    files: ['**/*.cjs', 'scripts/**/*.mjs', '.ci/**'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
