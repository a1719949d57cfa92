/** Who is signed in (from /dashboard/api/session) and the tenancy the pages work in. */
import { computed, signal } from '@preact/signals';
import type { DashboardSessionWire, ZoneWire } from '../../src/admin-api/wire-types.ts';
import { currentSession, list, setCsrfToken, signIn, signOut, whenSignedOut } from './api/client.ts';

export type SessionState =
  { kind: 'loading' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; session: DashboardSessionWire };

export const session = signal<SessionState>({ kind: 'loading' });
export const zones = signal<ZoneWire[]>([]);
const ZONE_KEY = 'portcullis.zone';
/** The zone the zone pages show; its id (not a secret) is remembered in localStorage. */
export const zoneId = signal<string>(localStorage.getItem(ZONE_KEY) ?? '');
export const zone = computed(() => zones.value.find((candidate) => candidate.id === zoneId.value));
export const canEdit = computed(
  () => session.value.kind === 'signed-in' && session.value.session.token.permission === 'edit',
);

export function chooseZone(id: string): void {
  zoneId.value = id;
  localStorage.setItem(ZONE_KEY, id);
}

export async function loadZones(): Promise<void> {
  const all: ZoneWire[] = [];
  for (let page = 1; page <= 100; page++) {
    const { items, info } = await list<ZoneWire>('/zones', { page, per_page: 50 });
    all.push(...items);
    if (info === undefined || page >= info.total_pages) break;
  }
  zones.value = all;
  if (zone.value === undefined && all[0] !== undefined) chooseZone(all[0].id);
}

function signedIn(state: DashboardSessionWire): void {
  setCsrfToken(state.csrf_token);
  session.value = { kind: 'signed-in', session: state };
}

whenSignedOut(() => {
  setCsrfToken('');
  session.value = { kind: 'signed-out', notice: 'Your session has ended. Sign in again.' };
});

export async function restoreSession(): Promise<void> {
  try {
    signedIn(await currentSession());
    await loadZones();
  } catch {
    session.value = { kind: 'signed-out' };
  }
}

export async function signInWith(token: string): Promise<void> {
  signedIn(await signIn(token));
  await loadZones();
}

export async function signOutNow(): Promise<void> {
  try {
    await signOut();
  } finally {
    setCsrfToken('');
    zones.value = [];
    session.value = { kind: 'signed-out', notice: 'You have signed out.' };
  }
}
