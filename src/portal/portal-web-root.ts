/**
 * Where the built portal pages (`vite build -c vite.portal.config.ts` → dist/portal-web) are: found as the
 * dashboard's are (admin-api/dashboard/web-root.ts). Undefined when not built.
 */
import { findBuiltFolder } from '../admin-api/dashboard/web-root.ts';

export function findPortalWebRoot(): string | undefined {
  return findBuiltFolder(import.meta.url, 'portal-web', 'portal.html');
}
