/** One colour per mTLS status (Cloudflare's vocabulary), the same on every chart. */
import type { MtlsStatusWire } from '../../../src/admin-api/wire-types.ts';

export const MTLS_STATUS_COLORS: Readonly<Record<MtlsStatusWire | 'unrecorded', string>> = {
  ok: '#1e6b34',
  absent: '#7a4d00',
  untrusted: '#b3261e',
  notyetvalid: '#6a3fa0',
  expired: '#c2570c',
  revoked: '#5c0f0b',
  unrecorded: '#8a94a3',
};

export const MTLS_STATUS_ORDER = [
  'ok',
  'absent',
  'untrusted',
  'notyetvalid',
  'expired',
  'revoked',
  'unrecorded',
] as const;
