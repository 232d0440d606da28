// Prints a development bearer token: `npm run token -- --role buyer --sub u-1 [--ttl 8h]`.
import { parseArgs } from 'node:util';
import { isActorRole } from '../actor';
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken } from '../development-token';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      issuer: { type: 'string', default: process.env.JWT_ISSUER },
      audience: { type: 'string', default: process.env.JWT_AUDIENCE },
    },
  });
  if (!values.sub || !isActorRole(values.role)) {
    console.error(
      'usage: npm run token -- --role <buyer|seller|mediator|senior_mediator|platform|analyst> --sub <id> [--ttl 1h]',
    );
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
