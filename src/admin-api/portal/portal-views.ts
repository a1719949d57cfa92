/** The portal's records as the APIs show them (snake_case); a password hash or link secret hash never appears. */
import type {
  PortalAccessRequestRecord,
  PortalAppRecord,
  PortalDeveloperRecord,
  PortalProductRecord,
} from '../../model/portal-records.ts';

export function productView(product: PortalProductRecord): object {
  return {
    id: product.id,
    account_id: product.accountId,
    name: product.name,
    description: product.description,
    api_ids: product.apiIds,
    policy_id: product.policyId,
    approval_mode: product.approvalMode,
    published: product.published,
    validity_days: product.validityDays,
    created_on: product.createdOn,
    modified_on: product.modifiedOn,
  };
}

export function developerView(developer: PortalDeveloperRecord): object {
  return {
    id: developer.id,
    email: developer.email,
    name: developer.name,
    status: developer.status,
    created_on: developer.createdOn,
    modified_on: developer.modifiedOn,
  };
}

export function appView(app: PortalAppRecord): object {
  return { id: app.id, name: app.name, description: app.description, created_on: app.createdOn };
}

export function accessRequestView(request: PortalAccessRequestRecord): object {
  return {
    id: request.id,
    developer_id: request.developerId,
    app_id: request.appId,
    product_id: request.productId,
    account_id: request.accountId,
    credential_kind: request.credentialKind,
    bind_to: request.bindTo,
    status: request.status,
    message: request.message,
    requested_on: request.requestedOn,
    decided_on: request.decidedOn,
    key_id: request.keyId,
    client_certificate_id: request.clientCertificateId,
    certificate_pem: request.certificatePem,
    fingerprint_sha256: request.fingerprintSha256,
    not_after: request.notAfter,
    replaces_id: request.replacesId,
    grace_days: request.graceDays,
    revoke_after: request.revokeAfter,
  };
}
