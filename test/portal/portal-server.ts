/** `serve` in-process with the developer portal on a loopback port of its own. */
import { startAdminServer, type AdminServer, type AdminServerExtras } from '../helpers/admin-server.ts';

export function createAdminServerWithPortal(extras: AdminServerExtras = {}): Promise<AdminServer> {
  return startAdminServer(undefined, undefined, { ...extras, flags: { portalListen: '127.0.0.1:0', ...extras.flags } });
}
