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
    // Functions it hands to Playwright run in the browser.
    files: ['__test__/chat.test.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
]
