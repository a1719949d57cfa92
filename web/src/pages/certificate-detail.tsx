/**
 * One client certificate: what it says (subject, SANs, serial, SHA-256, validity, issuer), what it
 * unlocks (keys bound to it, APIs that allow it or that those keys reach), when it was last seen,
 * and revoke / reactivate behind a confirmation.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type {
  AnalyticsRequestWire,
  ClientCertificateWire,
  GatewayApiWire,
  GatewayKeyWire,
} from '../../../src/admin-api/wire-types.ts';
import { del, get, list, patch, type ApiError } from '../api/client.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { download, fileNameOf } from '../components/download.ts';
import { Confirm, ErrorBox, Loading, Mono, Notice, PageHeader, StatusBadge, formatDate } from '../components/ui.tsx';
import { certificateFacts, type CertificateFacts } from '../crypto/key-and-csr.ts';
import { link } from '../router.ts';
import { canEdit, zone } from '../session.ts';
import { NoZone } from './certificates.tsx';

interface Details {
  certificate: ClientCertificateWire;
  facts: CertificateFacts | undefined;
  keys: GatewayKeyWire[];
  apis: GatewayApiWire[];
  lastSeen: AnalyticsRequestWire | undefined;
}

async function loadDetails(zoneId: string, accountId: string, id: string): Promise<Details> {
  const certificate = await get<ClientCertificateWire>(`/zones/${zoneId}/client_certificates/${id}`);
  const facts = await certificateFacts(certificate.certificate).catch(() => undefined);
  const [keys, apis, seen] = await Promise.all([
    list<GatewayKeyWire>(`/accounts/${accountId}/gateway/keys`, { per_page: 1000 }).catch(() => ({
      items: [] as GatewayKeyWire[],
    })),
    list<GatewayApiWire>(`/zones/${zoneId}/gateway/apis`, { per_page: 1000 }).catch(() => ({
      items: [] as GatewayApiWire[],
    })),
    list<AnalyticsRequestWire>(`/zones/${zoneId}/gateway/analytics/requests`, {
      fingerprint: certificate.fingerprint_sha256,
      limit: 1,
      since: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    }).catch(() => ({ items: [] as AnalyticsRequestWire[] })),
  ]);
  const fingerprint = certificate.fingerprint_sha256.toLowerCase();
  const boundKeys = keys.items.filter((key) => {
    const binding = key.certificate_binding;
    if (binding === null) return false;
    const value = binding.value.toLowerCase();
    return value === fingerprint || (facts !== undefined && value === facts.spkiSha256);
  });
  const reached = new Set(boundKeys.flatMap((key) => key.access_rights.map((right) => right.api_id)));
  const unlocked = apis.items.filter(
    (api) =>
      reached.has(api.id) ||
      api.auth.allowed_certificates.some(
        (allowed) =>
          ('client_certificate_id' in allowed && allowed.client_certificate_id === certificate.id) ||
          ('sha256' in allowed && allowed.sha256.toLowerCase() === fingerprint),
      ),
  );
  return { certificate, facts, keys: boundKeys, apis: unlocked, lastSeen: seen.items[0] };
}

export function CertificateDetail({ id }: { id: string }): JSX.Element {
  const current = zone.value;
  const [loaded, reload] = useLoad(
    () => (current === undefined ? Promise.resolve(undefined) : loadDetails(current.id, current.account.id, id)),
    [current?.id, id],
  );
  const [confirming, setConfirming] = useState<'revoke' | 'reactivate' | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  if (current === undefined) return <NoZone />;
  const details = loaded.value;
  if (details === undefined) {
    return (
      <section>
        <PageHeader title="Client certificate" />
        {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : <Loading what="the certificate" />}
      </section>
    );
  }
  const { certificate, facts } = details;
  const revoked = certificate.status === 'revoked' || certificate.status === 'pending_revocation';
  const act = async (): Promise<void> => {
    setBusy(true);
    setActionError(undefined);
    try {
      const path = `/zones/${current.id}/client_certificates/${certificate.id}`;
      if (confirming === 'revoke') await del(path);
      else await patch(path, { reactivate: true });
      setDone(
        confirming === 'revoke'
          ? 'The certificate is revoked: the gateway refuses it from now on.'
          : 'The certificate is active again.',
      );
      setConfirming(undefined);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
      setConfirming(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <p class="muted">
        <a href={link('certificates')}>Client certificates</a> /
      </p>
      <PageHeader title={certificate.common_name || '(no common name)'}>
        <button
          type="button"
          onClick={() =>
            download(`${fileNameOf(certificate.common_name)}.pem`, certificate.certificate, 'application/x-pem-file')
          }
        >
          Download PEM
        </button>
        {canEdit.value ? (
          revoked ? (
            <button type="button" class="primary" onClick={() => setConfirming('reactivate')}>
              Reactivate
            </button>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming('revoke')}>
              Revoke
            </button>
          )
        ) : null}
      </PageHeader>
      {done === undefined ? null : <Notice tone="success">{done}</Notice>}
      <ErrorBox error={actionError} />
      <div class="grid">
        <div class="card">
          <h2>Certificate</h2>
          <dl class="details">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={certificate.status} />
            </dd>
            <dt>Subject</dt>
            <dd>{facts?.subject ?? certificate.common_name}</dd>
            <dt>SANs</dt>
            <dd>
              {facts === undefined || facts.sans.length === 0 ? <span class="muted">none</span> : facts.sans.join(', ')}
            </dd>
            <dt>Serial</dt>
            <dd>
              <Mono value={certificate.serial_number} copy />
            </dd>
            <dt>SHA-256</dt>
            <dd>
              <Mono value={certificate.fingerprint_sha256} copy />
            </dd>
            <dt>Valid from</dt>
            <dd>{formatDate(certificate.issued_on)}</dd>
            <dt>Valid until</dt>
            <dd>{formatDate(certificate.expires_on)}</dd>
            <dt>Issuer</dt>
            <dd>
              {certificate.certificate_authority.name || facts?.issuer}
              <div class="muted">{facts?.issuer}</div>
            </dd>
          </dl>
        </div>
        <div class="card">
          <h2>What it unlocks</h2>
          <h3>Keys bound to it</h3>
          {details.keys.length === 0 ? (
            <p class="muted">No key is bound to this certificate.</p>
          ) : (
            <ul>
              {details.keys.map((key) => (
                <li key={key.id}>
                  {key.alias || key.id}{' '}
                  <span class="muted">
                    ({key.certificate_binding?.kind === 'spki' ? 'by public key' : 'by certificate'})
                  </span>
                </li>
              ))}
            </ul>
          )}
          <h3>APIs</h3>
          {details.apis.length === 0 ? (
            <p class="muted">No API names this certificate or is reached by its keys.</p>
          ) : (
            <ul>
              {details.apis.map((api) => (
                <li key={api.id}>
                  {api.name} <span class="muted">{api.hostname + api.listen_path}</span>
                </li>
              ))}
            </ul>
          )}
          <h3>Last seen</h3>
          <p>
            {details.lastSeen === undefined ? (
              <span class="muted">No request in the last 30 days.</span>
            ) : (
              <>
                {formatDate(details.lastSeen.time)} · {details.lastSeen.method} {details.lastSeen.hostname}
                {details.lastSeen.path} → {details.lastSeen.status}
              </>
            )}
          </p>
        </div>
      </div>
      <div class="card">
        <h2>PEM</h2>
        <pre class="pem">{certificate.certificate}</pre>
      </div>
      <Confirm
        open={confirming !== undefined}
        title={confirming === 'revoke' ? 'Revoke this certificate?' : 'Reactivate this certificate?'}
        confirmLabel={confirming === 'revoke' ? 'Revoke' : 'Reactivate'}
        danger={confirming === 'revoke'}
        busy={busy}
        onConfirm={() => void act()}
        onCancel={() => setConfirming(undefined)}
      >
        <p>
          {confirming === 'revoke'
            ? 'Clients presenting it are refused from the next request on, open connections included. You can reactivate it later.'
            : 'Clients presenting it are accepted again from the next request on.'}
        </p>
        <p>
          <strong>{certificate.common_name}</strong>
          <br />
          <code>{certificate.serial_number}</code>
        </p>
      </Confirm>
    </section>
  );
}
