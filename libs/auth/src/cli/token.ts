// Prints a development bearer token: `npm run token -- --role buyer --sub u-1 [--ttl 8h]`.
import { parseArgs } from 'node:util';
import { isActorRole, TOKEN_ROLES } from '../actor';
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken } from '../development-token';

const USAGE = `usage: npm run -s token -- --role <${TOKEN_ROLES.join('|')}> --sub <id>
  [--ttl 1h]           lifetime: a duration (30m, 8h) or seconds
  [--issuer <iss>]     default JWT_ISSUER
  [--audience <aud>]   default JWT_AUDIENCE
Signed with JWT_SECRET (or the development secret when it is not set).`;

async function main(): Promise<void> {
  let values: {
    role?: string;
    sub?: string;
    ttl?: string;
    issuer?: string;
    audience?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
        issuer: { type: 'string', default: process.env.JWT_ISSUER },
        audience: { type: 'string', default: process.env.JWT_AUDIENCE },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.sub || !isActorRole(values.role)) {
    console.error(USAGE);
    process.exit(2);
  }
  const secret = process.env.JWT_SECRET || DEVELOPMENT_JWT_SECRET;
  if (secret === DEVELOPMENT_JWT_SECRET)
    console.error('(signed with the development secret; set JWT_SECRET to match your gateway)');
  const ttl = /^-?\d+$/.test(values.ttl ?? '') ? Number(values.ttl) : values.ttl;
  console.log(
    await signDevelopmentToken({
      sub: values.sub,
      role: values.role,
      secret,
      ttl,
      issuer: values.issuer,
      audience: values.audience,
    }),
  );
}

void main();
