/**
 * Tables of migration 0012-developer-portal. Each row keeps its record as JSON (`record`) beside
 * the columns it is found by, so the portal's records can grow without a migration per field.
 */
export interface PortalProductsTable {
  id: string;
  account_id: string;
  record: string;
  created_on: string;
}

export interface PortalDevelopersTable {
  id: string;
  email: string;
  record: string;
  created_on: string;
}

export interface PortalLinksTable {
  id: string;
  secret_hash: string;
  used_on: string | null;
  record: string;
}

export interface PortalAppsTable {
  id: string;
  developer_id: string;
  record: string;
  created_on: string;
}

export interface PortalAccessRequestsTable {
  id: string;
  developer_id: string;
  app_id: string;
  product_id: string;
  status: string;
  record: string;
  requested_on: string;
}

export interface PortalTables {
  portal_products: PortalProductsTable;
  portal_developers: PortalDevelopersTable;
  portal_links: PortalLinksTable;
  portal_apps: PortalAppsTable;
  portal_access_requests: PortalAccessRequestsTable;
}
