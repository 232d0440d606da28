// Layering rules (ARCHITECTURE.md): the dispute domain is pure TypeScript; libs never reach into apps.
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'libs/disputes/src/domain imports no framework, no IO and nothing outside the domain.',
      severity: 'error',
      from: { path: '^libs/disputes/src/domain' },
      to: {
        pathNot: ['^libs/disputes/src/domain'],
      },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'product-never-imports-test-doubles',
      comment:
        'The KurrentDB protocol stand-in (and every testing/ helper) is for tests: no product code imports it.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: ['\\.spec\\.ts$', '/testing/'] },
      to: { path: '/testing/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(node_modules|dist)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    moduleSystems: ['cjs', 'es6'],
  },
};
