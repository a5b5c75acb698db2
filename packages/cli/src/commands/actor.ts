import { userInfo } from 'node:os';

/** Who runs the command, for the journal: `--actor`, else the operating-system user. */
export function resolveActor(actor: string | undefined): string {
  if (actor !== undefined && actor.trim() !== '') return actor;
  try {
    return userInfo().username || 'operator';
  } catch {
    /* v8 ignore next -- only without a user database */
    return 'operator';
  }
}
