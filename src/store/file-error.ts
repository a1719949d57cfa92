/** How a failed file operation is worded for an operator: `no space left on device (ENOSPC)`. */
export function describeFileError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string') return message;
  // Node says `ENOSPC: no space left on device, write` or `EACCES: permission denied, open '<path>'`.
  const reason = message.startsWith(`${code}: `)
    ? message.slice(code.length + 2).replace(/, \w+( '.*')?$/, '')
    : message;
  return `${reason} (${code})`;
}
