// `npm run docs:errors`: rewrites the error-code table of docs/clients.md from the code lists
// (error-codes.ts, the domain's DOMAIN_ERRORS, the analytics feed's FEED_END_CODES); the unit test
// error-table.unit.spec.ts fails until this is run and the guide committed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_GUIDE, withErrorTable } from '../errors/error-table';

const path = join(process.cwd(), CLIENT_GUIDE);
const before = readFileSync(path, 'utf8');
const after = withErrorTable(before);
if (after !== before) writeFileSync(path, after);
console.warn(after === before ? `${CLIENT_GUIDE} is up to date` : `Rewrote ${CLIENT_GUIDE}`);
