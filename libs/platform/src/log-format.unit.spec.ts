import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { ConfigError, validateConfig } from './config';
import {
  chooseLogFormat,
  logDestination,
  type LogFormatSetting,
  prettyPrinterInstalled,
} from './log-format';

describe('LOG_FORMAT', () => {
  it('is auto unless set, and accepts only auto, json and pretty', () => {
    expect(validateConfig({}).LOG_FORMAT).toBe('auto');
    expect(validateConfig({ LOG_FORMAT: '' }).LOG_FORMAT).toBe('auto');
    expect(validateConfig({ LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(() => validateConfig({ LOG_FORMAT: 'text' })).toThrow(/^Invalid setting LOG_FORMAT/);
  });
});

describe('chooseLogFormat', () => {
  const cases: [LogFormatSetting, boolean, boolean, 'json' | 'pretty'][] = [
    // setting, stdout is a terminal, pino-pretty installed, format
    ['auto', true, true, 'pretty'],
    ['auto', false, true, 'json'],
    ['auto', true, false, 'json'],
    ['auto', false, false, 'json'],
    ['json', true, true, 'json'],
    ['json', false, false, 'json'],
    ['pretty', false, true, 'pretty'],
    ['pretty', true, true, 'pretty'],
  ];
  it.each(cases)(
    '%s, terminal %s, pino-pretty %s: %s',
    (setting, isTerminal, installed, format) => {
      expect(chooseLogFormat(setting, { isTerminal, prettyInstalled: installed })).toBe(format);
    },
  );

  it('refuses pretty where pino-pretty is not installed, naming the setting', () => {
    const choose = () => chooseLogFormat('pretty', { isTerminal: true, prettyInstalled: false });
    expect(choose).toThrow(ConfigError);
    expect(choose).toThrow(/^Invalid setting LOG_FORMAT: pretty needs the pino-pretty package/);
  });
});

describe('prettyPrinterInstalled', () => {
  it('is true in a development install and false where the package cannot be resolved', () => {
    expect(prettyPrinterInstalled()).toBe(true);
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'pino-pretty'"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(prettyPrinterInstalled(missing)).toBe(false);
  });
});

describe('logDestination', () => {
  it("leaves json to pino's own stdout destination", () => {
    expect(logDestination('json')).toBeUndefined();
  });

  it('writes pretty lines a person reads, not JSON', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const destination = logDestination('pretty', { destination: out, colorize: false });
    expect(destination).toBeDefined();
    const logger = pino({ level: 'info' }, destination);
    logger.info({ disputeId: 'd-1' }, 'dispute opened');
    logger.warn({ context: 'Auth' }, 'JWT_SECRET is not set');

    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: dispute opened$/);
    expect(lines[1]).toContain('disputeId: "d-1"');
    expect(lines[2]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: Auth: JWT_SECRET is not set$/);
    expect(text).not.toContain('context');
    expect(() => JSON.parse(lines[0])).toThrow();
  });
});
