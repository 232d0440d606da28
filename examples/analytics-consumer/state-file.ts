import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { emptyStats, type StatsState } from './dispute-stats';

/** The consumer's state on disk, replaced atomically (write, then rename) so a crash never halves it. */
export function loadState(path: string): StatsState {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StatsState) : emptyStats();
}

export function saveState(path: string, state: StatsState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}
