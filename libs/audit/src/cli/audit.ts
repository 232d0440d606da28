import { readFileSync } from 'node:fs';
import type { AuditFinding, AuditLog, AuditVerification } from '../audit-log';
import { AuditError } from '../errors';

export interface AuditCliContext {
  log: AuditLog;
  /** Reads the digest file (`-`: standard input). */
  readDigestFile?: (path: string) => Promise<string>;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const USAGE = `Usage:
  npm run audit -- digest [--publish]                     the newest signed digest as JSON (--publish: sign one now)
  npm run audit -- verify --digest <file> [--dispute <id>] [--json]
                                                          check a kept digest: exit 0 intact, 1 tampered or not reached, 2 refused
  npm run audit -- keys                                   the JWK Set of the keys digests are checked with`;

/** Refusals of a validly signed digest that this log no longer reaches: exit 1, like tampering. */
const NOT_REACHED = new Set(['AUDIT_DIGEST_BEYOND_LOG', 'AUDIT_EPOCH_UNKNOWN']);

/**
 * Exit codes: 0 done / intact, 1 tampered or not reached (or no digest yet), 2 refused (malformed,
 * unknown key, bad signature, no such dispute) or misused.
 */
export async function runAuditCli(
  argv: readonly string[],
  context: AuditCliContext,
): Promise<number> {
  const out = context.out ?? ((line: string) => console.log(line));
  const err = context.err ?? ((line: string) => console.error(line));
  const [command, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const option = (name: string) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  try {
    switch (command) {
      case 'digest': {
        const digest = flag('--publish') ? await context.log.publish() : await context.log.latest();
        if (!digest) {
          err('No digest has been published yet: run `npm run audit -- digest --publish`.');
          return 1;
        }
        out(JSON.stringify(digest, null, 2));
        return 0;
      }
      case 'keys':
        out(JSON.stringify(context.log.keyring.jwks(), null, 2));
        return 0;
      case 'verify': {
        const file = option('--digest');
        if (!file) {
          err(USAGE);
          return 2;
        }
        const read =
          context.readDigestFile ??
          ((path: string) => Promise.resolve(readFileSync(path === '-' ? 0 : path, 'utf8')));
        let input: unknown;
        try {
          input = JSON.parse(await read(file));
        } catch (error) {
          err(
            `AUDIT_DIGEST_MALFORMED: ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`,
          );
          return 2;
        }
        const disputeId = option('--dispute');
        const result = await context.log.verify(input, { disputeId });
        if (disputeId !== undefined && result.proofs.length === 0 && result.findings.length === 0) {
          // Nothing of it in the log nor in what the digest signed: a mistyped id, or a dispute
          // opened after the digest. Saying INTACT would vouch for nothing.
          err(
            `DISPUTE_NOT_FOUND: no event of dispute ${disputeId} is in the log up to position ${result.digest.position} or in what this digest signed.`,
          );
          return 2;
        }
        if (flag('--json')) out(JSON.stringify(result, null, 2));
        else report(result, disputeId, out);
        return result.intact ? 0 : 1;
      }
      default:
        err(USAGE);
        return 2;
    }
  } catch (error) {
    if (error instanceof AuditError) {
      err(`${error.code}: ${error.message}`);
      if (!NOT_REACHED.has(error.code)) return error.code === 'AUDIT_RECORD_ALTERED' ? 1 : 2;
      // The digest's signature checked with a trusted key: a log that no longer reaches what it
      // signed is a finding, not a bad input, unless the digest is another deployment's.
      err(
        'NOT INTACT: a digest signed with a trusted key covers more than this log and its audit record now hold. Unless it is another deployment’s digest, the log and its record were cut short.',
      );
      return 1;
    }
    throw error;
  }
}

function report(
  result: AuditVerification,
  disputeId: string | undefined,
  out: (line: string) => void,
): void {
  const { digest } = result;
  const scope = disputeId === undefined ? 'The log' : `Dispute ${disputeId}`;
  out(
    `${scope} ${result.intact ? 'is INTACT' : 'was TAMPERED WITH'} against the digest of epoch ${digest.epoch}: ${digest.count} events up to position ${digest.position}, root ${digest.root}, signed by ${digest.keyId} at ${digest.createdAt}.`,
  );
  if (result.recordAltered) out('The leaf record was altered too.');
  for (const finding of result.findings) out(`  - ${describe(finding)}`);
  if (disputeId !== undefined)
    out(`Inclusion proofs: ${result.proofs.length} events of the dispute (--json prints them).`);
  for (const note of result.notes) out(note);
}

function describe(finding: AuditFinding): string {
  switch (finding.kind) {
    case 'changed':
      return `changed: position ${finding.position}, ${finding.streamId} revision ${finding.revision}, event ${finding.eventId}: ${finding.parts.join(', ')}`;
    case 'removed':
      return `removed: position ${finding.position}, ${finding.streamId} revision ${finding.revision}, event ${finding.eventId}`;
    case 'inserted':
      return `inserted: position ${finding.position}, ${finding.streamId} revision ${finding.revision}, event ${finding.eventId}`;
    case 'reordered':
      return `reordered: event ${finding.eventId} (${finding.streamId} revision ${finding.revision}) moved from position ${finding.fromPosition} to ${finding.toPosition}`;
    case 'truncated':
      return `truncated: the log ends after position ${finding.afterPosition}; ${finding.missing} event${finding.missing === 1 ? ' is' : 's are'} missing (${finding.events.map((e) => e.position).join(', ')})`;
    case 'chainBroken':
      return `hash chain broken: ${finding.streamId} at revision ${finding.revision}`;
  }
}
