'use strict'

// The one path to the addon; `npm install` builds it into native/.
module.exports = require('../native/binding.js')
