// Layering rules (docs/architecture.md, "Layers"): the dispute domain is pure TypeScript at the
// bottom; platform and the event store sit under every other lib; read models see the disputes
// lib only through its read side; apps compose libs through their public entry points.
// Each lib's README states the same rules in words: change both together.

/** Test code (specs and `testing/` helpers) may reach further than product code. */
const TEST_CODE = ['\\.spec\\.ts$', '/testing/', '/testing\\.ts$'];

/** What an app may import from a lib: its index and the sub-entries the lib's README declares. */
const PUBLIC_ENTRIES = [
  '^libs/[^/]+/src/index\\.ts$',
  '^libs/disputes/src/application/index\\.ts$',
  '^libs/disputes/src/application/(audit-chain|event-schemas)\\.ts$',
  '^libs/disputes/src/application/add-evidence/add-evidence\\.ts$',
  '^libs/disputes/src/read-side\\.ts$',
  '^libs/platform/src/(backoff|clock|database-errors|health\\.controller)\\.ts$',
  '^libs/read-models/src/migrate\\.ts$',
];

/** The disputes lib's pure part: its domain and the index that re-exports only the domain. */
const DISPUTES_DOMAIN = ['^libs/disputes/src/domain/', '^libs/disputes/src/index\\.ts$'];

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'libs/disputes/src/domain imports no framework, no IO and nothing outside the domain ' +
        '(no node built-ins, no packages): the decider and the view fold run anywhere, replay alike.',
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
      name: 'apps-import-public-entries-only',
      comment:
        'An app composes libs through their index (and the few sub-entries their READMEs declare), ' +
        'so a lib may reorganise its files without breaking the apps.',
      severity: 'error',
      from: { path: '^apps/', pathNot: TEST_CODE },
      to: { path: '^libs/', pathNot: PUBLIC_ENTRIES },
    },
    {
      name: 'platform-is-below-every-lib',
      comment:
        'libs/platform (configuration, SQL connection, clock, health) is used by every lib, so it ' +
        'imports no other lib except the pure dispute domain (the policy it validates at start-up).',
      severity: 'error',
      from: { path: '^libs/platform/' },
      to: { path: '^libs/', pathNot: ['^libs/platform/', ...DISPUTES_DOMAIN] },
    },
    {
      name: 'event-store-is-below-the-domain-libs',
      comment:
        'The event store knows events as opaque data: it imports platform only, never a lib that ' +
        'gives events a meaning.',
      severity: 'error',
      from: { path: '^libs/event-store/' },
      to: { path: '^libs/', pathNot: ['^libs/(event-store|platform)/'] },
    },
    {
      name: 'auth-knows-actors-not-disputes',
      comment:
        'Authentication turns a token into an actor: it may use the actor types of the event store ' +
        'port and the domain role list, nothing of the command or read side.',
      severity: 'error',
      from: { path: '^libs/auth/', pathNot: TEST_CODE },
      to: {
        path: '^libs/',
        pathNot: ['^libs/(auth|platform)/', '^libs/event-store/src/port\\.ts$', ...DISPUTES_DOMAIN],
      },
    },
    {
      name: 'disputes-lib-is-below-the-read-side',
      comment:
        'The command side (domain and application) does not know the read models, the deadline ' +
        'scheduler, the analytics feed or authentication: they build on it, never the reverse.',
      severity: 'error',
      from: { path: '^libs/disputes/' },
      to: { path: '^libs/(read-models|deadlines|analytics|auth)/' },
    },
    {
      name: 'read-models-use-the-read-side-only',
      comment:
        'Projections and queries see the disputes lib only through libs/disputes/src/read-side.ts ' +
        '(@arbiter/disputes/read-side: the view fold, event and view types, vocabulary), never the ' +
        'decider, its state or the application layer. Tests and testing/ helpers may drive commands.',
      severity: 'error',
      from: { path: '^libs/read-models/', pathNot: TEST_CODE },
      to: { path: '^libs/disputes/', pathNot: ['^libs/disputes/src/read-side\\.ts$'] },
    },
    {
      name: 'deadlines-use-the-read-side-only',
      comment:
        'The deadline process manager folds the view like any projection and the scheduler reads ' +
        'its rows: both see the disputes lib through @arbiter/disputes/read-side, plus the command ' +
        "side's fire-deadline entry (the deterministic command id the rows are keyed by). Never " +
        'the decider or its state. Tests and testing/ helpers may drive commands.',
      severity: 'error',
      from: { path: '^libs/deadlines/', pathNot: TEST_CODE },
      to: {
        path: '^libs/disputes/',
        pathNot: [
          '^libs/disputes/src/read-side\\.ts$',
          '^libs/disputes/src/application/fire-deadline/fire-deadline\\.ts$',
        ],
      },
    },
    {
      name: 'read-models-below-processes',
      comment:
        'The read models are consumed by the deadline process manager and the analytics feed; ' +
        'they never depend on them.',
      severity: 'error',
      from: { path: '^libs/read-models/' },
      to: { path: '^libs/(deadlines|analytics|auth)/' },
    },
    {
      name: 'deadlines-and-analytics-are-independent',
      comment:
        'The deadline process manager and the analytics feed are siblings on top of the libs: ' +
        'neither imports the other, nor authentication (the apps wire them).',
      severity: 'error',
      from: { path: '^libs/deadlines/' },
      to: { path: '^libs/(analytics|auth)/' },
    },
    {
      name: 'analytics-and-deadlines-are-independent',
      comment: 'See deadlines-and-analytics-are-independent.',
      severity: 'error',
      from: { path: '^libs/analytics/' },
      to: { path: '^libs/(deadlines|auth)/' },
    },
    {
      name: 'audit-reads-stored-events-only',
      comment:
        'The audit log hashes events as stored: it sees the event store, the platform, and of the ' +
        'disputes lib only the domain (stream ids) and the hash chain (audit-chain.ts), never the ' +
        'command or read side.',
      severity: 'error',
      from: { path: '^libs/audit/', pathNot: TEST_CODE },
      to: {
        path: '^libs/',
        pathNot: [
          '^libs/(audit|event-store|platform)/',
          '^libs/disputes/src/application/audit-chain\\.ts$',
          ...DISPUTES_DOMAIN,
        ],
      },
    },
    {
      name: 'no-lib-imports-the-audit-log',
      comment: 'The audit log sits on top: the apps wire it; no other lib depends on it.',
      severity: 'error',
      from: { path: '^libs/', pathNot: '^libs/audit/' },
      to: { path: '^libs/audit/' },
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
