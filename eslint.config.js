'use strict'

const js = require('@eslint/js')
const globals = require('globals')

module.exports = [
  { ignores: ['native/', 'target/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'none' }],
      strict: ['error', 'global'],
    },
  },
  {
    files: ['__test__/**/*.js'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    files: ['examples/**/*.html', 'examples/**/public/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
]
