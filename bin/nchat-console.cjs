#!/usr/bin/env node
// nchat-console from a checkout: runs the TypeScript entry point through tsx (a
// devDependency). `npx nchat-console …` in the checkout, or `node bin/nchat-console.cjs …`.
require('tsx/cjs')
require('../src-main/cli/nchat-console.ts').run()
