/** Runs fn with the environment variable `name` set to `value` (native paths read theirs at every call), restoring
 * its previous value (or its absence) after. */
export function withEnv<T>(name: string, value: string, fn: () => T): T {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}
