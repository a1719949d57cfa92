/** `serve` in-process with the developer portal on a loopback port of its own. */
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';

export function createAdminServerWithPortal(): Promise<AdminServer> {
  return startAdminServer(undefined, undefined, { flags: { portalListen: '127.0.0.1:0' } });
}
