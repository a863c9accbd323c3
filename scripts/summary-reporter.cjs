// Mocha reporter: mocha's spec output, then one closing line `N passed, N failed, N skipped`
// that CI reads (mocha's own "N passing" line is not one it understands).
'use strict'
const Mocha = require('mocha')
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants

class Summary extends Mocha.reporters.Spec {
  constructor (runner, options) {
    super(runner, options)
    let passed = 0; let failed = 0; let skipped = 0
    runner.on(EVENT_TEST_PASS, () => { passed++ })
    runner.on(EVENT_TEST_FAIL, () => { failed++ })
    runner.on(EVENT_TEST_PENDING, () => { skipped++ })
    runner.once(EVENT_RUN_END, () => {
      // after Spec's epilogue
      setImmediate(() => process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`))
    })
  }
}
module.exports = Summary
