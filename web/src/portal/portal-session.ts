/** Who is signed in to the portal, kept in a signal the pages read. */
import { signal } from '@preact/signals';
import { portalCall, setPortalCsrf, whenPortalSignedOut, type SessionWire } from './portal-api.ts';

export type PortalSessionState =
  { kind: 'loading' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; session: SessionWire };

export const portalSession = signal<PortalSessionState>({ kind: 'loading' });

function signedIn(session: SessionWire): void {
  setPortalCsrf(session.csrf_token);
  portalSession.value = { kind: 'signed-in', session };
}

whenPortalSignedOut(() => {
  setPortalCsrf('');
  portalSession.value = { kind: 'signed-out', notice: 'Your session has ended: sign in again.' };
});

export async function restorePortalSession(): Promise<void> {
  try {
    signedIn(await portalCall<SessionWire>('GET', '/api/session'));
  } catch {
    portalSession.value = { kind: 'signed-out' };
  }
}

export async function portalSignIn(email: string, password: string): Promise<void> {
  signedIn(await portalCall<SessionWire>('POST', '/api/session', { email, password }));
}

/** Signs up; signed in at once unless the account waits for the operator (then its status). */
export async function portalSignUp(input: {
  email: string;
  password: string;
  name: string;
  invitation?: string;
}): Promise<string> {
  const result = await portalCall<SessionWire | { developer: { status: string } }>('POST', '/api/signup', input);
  if ('csrf_token' in result) {
    signedIn(result);
    return 'active';
  }
  return result.developer.status;
}

export async function portalSignOut(): Promise<void> {
  try {
    await portalCall('DELETE', '/api/session');
  } finally {
    setPortalCsrf('');
    portalSession.value = { kind: 'signed-out', notice: 'Signed out.' };
  }
}

export function refreshCsrf(session: SessionWire): void {
  signedIn(session);
}
