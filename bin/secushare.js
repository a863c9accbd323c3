#!/usr/bin/env node
// The `secushare` command. The code lives in dist/ (compiled by `npm run build` or `npm start`).
import '../dist/core/polyfill.js'
const { main } = await import('../dist/cli/main.js')
process.exitCode = await main(process.argv.slice(2))
