/** HTTP Basic credentials (RFC 7617 §2): `Basic base64(user-id ":" password)`. */

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

/** The credentials of an Authorization header; undefined when it is absent or not Basic. */
export function readBasicCredentials(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
