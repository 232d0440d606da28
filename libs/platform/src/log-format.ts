import type { DestinationStream } from 'pino';
import { ConfigError } from './config';

export type LogFormatSetting = 'auto' | 'json' | 'pretty';
export type LogFormat = 'json' | 'pretty';

/** pino-pretty is a development dependency: production installs (`--omit=dev`) do not have it. */
const PRETTY_PACKAGE = 'pino-pretty';

export function prettyPrinterInstalled(resolve: (id: string) => string = require.resolve): boolean {
  try {
    resolve(PRETTY_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

/**
 * How the process writes its logs. `auto`: readable lines for a person at a terminal, JSON (one
 * object a line) for everything else (a file, a pipe, a container's log driver, a log shipper),
 * and JSON too where pino-pretty is not installed. `pretty` where pino-pretty is missing is a
 * configuration error, not a silent fallback.
 */
export function chooseLogFormat(
  setting: LogFormatSetting,
  output: { isTerminal: boolean; prettyInstalled: boolean },
): LogFormat {
  if (setting === 'json') return 'json';
  if (setting === 'pretty') {
    if (!output.prettyInstalled) {
      throw new ConfigError(
        `Invalid setting LOG_FORMAT: pretty needs the ${PRETTY_PACKAGE} package, a development dependency that production installs leave out (got "pretty")`,
      );
    }
    return 'pretty';
  }
  return output.isTerminal && output.prettyInstalled ? 'pretty' : 'json';
}

/** The format for this process's standard output. */
export function logFormatForStdout(setting: LogFormatSetting): LogFormat {
  return chooseLogFormat(setting, {
    isTerminal: process.stdout.isTTY === true,
    prettyInstalled: prettyPrinterInstalled(),
  });
}

/**
 * Where pino writes: undefined for its own JSON to stdout; for `pretty`, pino-pretty in this
 * thread and synchronous, so no line is lost when the process exits and no transport thread is
 * started (loaded only here, so production never requires it).
 */
export function logDestination(
  format: LogFormat,
  output: { destination: NodeJS.WritableStream | number; colorize: boolean } = {
    destination: 1,
    colorize: process.stdout.isTTY === true,
  },
): DestinationStream | undefined {
  if (format === 'json') return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require(PRETTY_PACKAGE) as typeof import('pino-pretty');
  return pretty.build({
    sync: true,
    destination: output.destination,
    colorize: output.colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    // Nest's logger names its source in `context`: kept on the message's line, not below it.
    messageFormat: '{if context}{context}: {end}{msg}',
    ignore: 'pid,hostname,context',
  });
}
