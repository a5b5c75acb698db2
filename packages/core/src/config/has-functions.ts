/**
 * True when `value` is an object with a function under each of `names`: the shape check option
 * schemas use for a port or collaborator passed in (`z.custom<JournalV1>((value) => hasFunctions(value, ['list', 'write']))`).
 */
export function hasFunctions(value: unknown, names: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}
