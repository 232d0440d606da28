import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEED_END_CODES } from '@arbiter/analytics';
import { AUDIT_ERRORS } from '@arbiter/audit';
import { DOMAIN_ERRORS } from '@arbiter/disputes';
import { GATEWAY_ERRORS, SERVER_ONLY_CODES } from './error-codes';
import {
  CLIENT_GUIDE,
  errorCatalogue,
  renderErrorTable,
  TABLE_END,
  TABLE_START,
  withErrorTable,
} from './error-table';

const ROOT = join(__dirname, '../../../..');

/** Where a code is set or compared in source: as an error's `code`, a refusal, a status's code. */
const CODE_SITES = [
  /\bcode\s*[:=]\s*'([A-Z][A-Z0-9_]+)'/g,
  /\bcode\s*[!=]==\s*'([A-Z][A-Z0-9_]+)'/g,
  /\brefused\([^;]*?'([A-Z][A-Z0-9_]+)'\)/g,
  /\bAuthenticationError\(\s*'([A-Z][A-Z0-9_]+)'/g,
  /^\s*\d{3}: '([A-Z][A-Z0-9_]+)',$/gm,
];

function codesIn(source: string): string[] {
  return CODE_SITES.flatMap((site) => [...source.matchAll(site)].map((match) => match[1]));
}

const declared = new Set([
  ...Object.keys(GATEWAY_ERRORS),
  ...Object.keys(DOMAIN_ERRORS),
  ...Object.keys(FEED_END_CODES),
  ...Object.keys(AUDIT_ERRORS),
  ...Object.keys(SERVER_ONLY_CODES),
  // Node's own errno codes, compared around files and processes; never a product code.
  'ENOENT',
  'EEXIST',
  'EPERM',
]);

/** The product's sources (not its tests, which throw codes of their own making). */
function sources(): { path: string; text: string }[] {
  return ['apps', 'libs'].flatMap((top) =>
    readdirSync(join(ROOT, top), { recursive: true, encoding: 'utf8' })
      .filter(
        (path) =>
          path.endsWith('.ts') &&
          !/\.spec\.ts$/.test(path) &&
          !/(^|\/)(testing|test|test-support|node_modules)\//.test(path),
      )
      .map((path) => ({
        path: `${top}/${path}`,
        text: readFileSync(join(ROOT, top, path), 'utf8'),
      })),
  );
}

describe('the error-code table of the client guide', () => {
  it('is up to date with the code lists (run `npm run docs:errors`)', () => {
    const guide = readFileSync(join(ROOT, CLIENT_GUIDE), 'utf8');
    expect(guide).toContain(TABLE_START);
    expect(guide).toContain(TABLE_END);
    expect(withErrorTable(guide)).toBe(guide);
  });

  it('lists every code a client may get once, with a meaning', () => {
    const { rows, concealed } = errorCatalogue();
    const codes = rows.map((row) => row.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const row of rows) expect(row.description.length).toBeGreaterThan(10);
    // What the edge conceals is not in the table, and nothing declared server-only is either.
    expect(concealed).toEqual(['NOT_A_PARTY', 'FORBIDDEN_FOR_ROLE']);
    for (const code of [...concealed, ...Object.keys(SERVER_ONLY_CODES)]) {
      expect(codes).not.toContain(code);
    }
    expect(renderErrorTable()).toContain(
      '| `SERVICE_UNAVAILABLE` | server | The database is unreachable',
    );
  });

  it('declares every code the sources throw or compare', () => {
    const undeclared = sources().flatMap(({ path, text }) =>
      codesIn(text)
        .filter((code) => !declared.has(code))
        .map((code) => `${code} (${path})`),
    );
    expect(undeclared).toEqual([]);
  });

  it('finds the codes at each kind of site (so the guard above can fail)', () => {
    const source = [
      "throw new HttpException({ code: 'A_CODE', message });",
      "readonly code = 'B_CODE';",
      "if (error.code !== 'C_CODE') throw error;",
      "return refused('Too many', 'D_CODE');",
      "new AuthenticationError('E_CODE', 'Token expired')",
      "  418: 'F_CODE',",
    ].join('\n');
    expect(codesIn(source)).toEqual(['A_CODE', 'B_CODE', 'C_CODE', 'D_CODE', 'E_CODE', 'F_CODE']);
  });
});
