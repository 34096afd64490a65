/** Escapes one key for a JSON pointer (RFC 6901): `~` becomes `~0`, `/` becomes `~1`. */
export const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
