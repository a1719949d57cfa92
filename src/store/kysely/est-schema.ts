/** Tables of migration 0011 (EST enrollment, client-certificate tags), as Kysely sees them. */

export interface EstProfilesTable {
  id: string;
  account_id: string;
  zone_id: string;
  label: string;
  /** JSON of EstProfileSettings. */
  settings: string;
  created_on: string;
  modified_on: string;
}

export interface EstBootstrapSecretsTable {
  id: string;
  account_id: string;
  zone_id: string;
  profile_id: string;
  name: string;
  secret_hash: string;
  max_uses: number;
  uses: number;
  expires_on: string;
  created_on: string;
}

export interface EstEnrollmentsTable {
  client_certificate_id: string;
  account_id: string;
  zone_id: string;
  profile_id: string;
  method: string;
  enrolled_by: string;
  replaced_by: string | null;
  revoke_after: string | null;
  created_on: string;
}

export interface EstApprovalsTable {
  id: string;
  account_id: string;
  zone_id: string;
  profile_id: string;
  spki_sha256: string;
  requester: string;
  csr_pem: string;
  status: string;
  client_certificate_id: string | null;
  created_on: string;
  decided_on: string | null;
}

export interface ClientCertificateTagsTable {
  client_certificate_id: string;
  zone_id: string;
  tag: string;
}

export interface EstTables {
  est_profiles: EstProfilesTable;
  est_bootstrap_secrets: EstBootstrapSecretsTable;
  est_enrollments: EstEnrollmentsTable;
  est_approvals: EstApprovalsTable;
  client_certificate_tags: ClientCertificateTagsTable;
}
