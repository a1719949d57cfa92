/**
 * One app: its access requests with their keys and certificates (expiry, downloads, example curl
 * calls), usage per day, requesting access to a product, rotating and revoking a credential.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../../api/client.ts';
import { asApiError, useLoad } from '../../components/async.ts';
import { download, fileNameOf } from '../../components/download.ts';
import {
  Confirm,
  Empty,
  ErrorBox,
  Field,
  Loading,
  Mono,
  Notice,
  PageHeader,
  StatusBadge,
  formatDate,
} from '../../components/ui.tsx';
import { portalCall, type AccessRequestWire, type AppDetailWire, type ProductWire } from '../portal-api.ts';
import { CredentialFields, credentialOf, emptyDraft, type CredentialDraft } from '../credential-form.tsx';
import { heldKeys } from '../held-keys.ts';
import { KeyDownloads } from '../key-downloads.tsx';
import { UsageChart } from '../usage-chart.tsx';
import { CurlExamples } from '../curl-examples.tsx';

const KIND_LABELS: Record<AccessRequestWire['credential_kind'], string> = {
  browser_key: 'key made in the browser',
  csr: 'pasted CSR',
  certificate: 'own certificate',
};

export function AppDetail({ id }: { id: string }): JSX.Element {
  const [detail, reload] = useLoad(() => portalCall<AppDetailWire>('GET', `/api/apps/${encodeURIComponent(id)}`), [id]);
  const pending = detail.value?.requests.some((request) => request.status === 'pending') ?? false;
  // While the operator decides, look again now and then: the page offers the PKCS#12 file as soon as it can.
  useEffect(() => {
    if (!pending) return undefined;
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [pending, reload]);
  if (detail.value === undefined) {
    return detail.state === 'failed' ? (
      <section class="stack">
        <ErrorBox error={detail.error} />
        <p>
          <a href="#/">Back to my apps</a>
        </p>
      </section>
    ) : (
      <Loading what="the app" />
    );
  }
  const { app, requests, usage } = detail.value;
  const live = requests.filter((request) => request.status === 'approved' || request.status === 'pending');
  const past = requests.filter((request) => request.status === 'rejected' || request.status === 'revoked');
  return (
    <section class="stack">
      <PageHeader title={app.name} />
      {detail.state === 'failed' ? <ErrorBox error={detail.error} /> : null}
      <div class="card stack">
        <h2>Usage</h2>
        <UsageChart usage={usage} />
      </div>
      <h2>Keys and certificates</h2>
      {live.length === 0 ? <Empty>No access yet: request access to a product below.</Empty> : null}
      {live.map((request) => (
        <RequestCard key={request.id} request={request} appName={app.name} onChange={reload} />
      ))}
      <RequestAccess appId={app.id} appName={app.name} onDone={reload} />
      {past.length === 0 ? null : (
        <details class="card">
          <summary>Revoked and rejected ({past.length})</summary>
          <ul>
            {past.map((request) => (
              <li key={request.id}>
                {request.product_name} — <StatusBadge status={request.status} /> {formatDate(request.decided_on)}
                {request.message === '' ? '' : `: ${request.message}`}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function RequestCard(props: { request: AccessRequestWire; appName: string; onChange: () => void }): JSX.Element {
  const { request } = props;
  const [confirming, setConfirming] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const held = heldKeys.get(request.id);
  const fileName = fileNameOf(`${props.appName}-${request.product_name ?? 'product'}`);
  const revoke = async (): Promise<void> => {
    setError(undefined);
    try {
      await portalCall('POST', `/api/requests/${request.id}/revoke`);
      heldKeys.delete(request.id);
      props.onChange();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setConfirming(false);
    }
  };
  return (
    <article class={`card stack request-card status-${request.status}`} data-request={request.id}>
      <h3>
        {request.product_name} <StatusBadge status={request.status} />
      </h3>
      <ErrorBox error={error} />
      <p class="muted">
        Requested {formatDate(request.requested_on)} with a {KIND_LABELS[request.credential_kind]}
        {request.credential_kind === 'certificate'
          ? `, bound by ${request.bind_to === 'spki' ? 'public key' : 'exact certificate'}`
          : ''}
        .{request.status === 'pending' ? ' Waiting for the operator.' : ''}
        {request.status === 'pending' && held !== undefined
          ? ' Keep this page open: once approved, it builds the PKCS#12 file with the key it holds.'
          : ''}
      </p>
      {request.message === '' ? null : (
        <p class="decision-message">
          Message: <q>{request.message}</q>
        </p>
      )}
      {request.status === 'approved' ? (
        <dl class="facts">
          <dt>Key</dt>
          <dd>
            <Mono value={request.key_id ?? ''} />
          </dd>
          <dt>Certificate SHA-256</dt>
          <dd>
            <Mono value={request.fingerprint_sha256 ?? ''} copy />
          </dd>
          <dt>Expires</dt>
          <dd>
            {formatDate(request.not_after)}
            {request.expiring_soon === true ? (
              <Notice tone="warning">This certificate expires within 30 days: rotate it.</Notice>
            ) : null}
          </dd>
          {request.revoke_after === null ? null : (
            <>
              <dt>Replaced</dt>
              <dd>keeps working until {formatDate(request.revoke_after)}, then it is revoked</dd>
            </>
          )}
        </dl>
      ) : null}
      {/* In the order a developer goes: save the key, build the PKCS#12 file, call the API with it. */}
      {request.status === 'approved' && request.credential_kind !== 'certificate' ? (
        <KeyDownloads
          fileName={fileName}
          keyPem={held?.keyPem}
          pkcs8={held?.pkcs8}
          certificatePem={request.certificate_pem}
        />
      ) : request.status === 'pending' && held !== undefined ? (
        <KeyDownloads fileName={fileName} keyPem={held.keyPem} pkcs8={held.pkcs8} certificatePem={null} />
      ) : null}
      {request.status === 'approved' && request.api_urls !== undefined && request.api_urls.length > 0 ? (
        <CurlExamples kind={request.credential_kind} fileName={fileName} urls={request.api_urls} />
      ) : null}
      <div class="inline-actions">
        {request.certificate_pem === null ? null : (
          <button
            type="button"
            onClick={() => download(`${fileName}.pem`, request.certificate_pem ?? '', 'application/x-pem-file')}
          >
            Certificate (PEM)
          </button>
        )}
        {request.status === 'approved' ? (
          <button type="button" onClick={() => setRotating(!rotating)}>
            Rotate…
          </button>
        ) : null}
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          {request.status === 'pending' ? 'Withdraw' : 'Revoke'}
        </button>
      </div>
      {rotating ? (
        <Rotate
          request={request}
          appName={props.appName}
          onDone={() => {
            setRotating(false);
            props.onChange();
          }}
        />
      ) : null}
      {request.status === 'approved' || request.status === 'pending' ? (
        <Confirm
          open={confirming}
          danger
          title={request.status === 'pending' ? 'Withdraw this request?' : 'Revoke this certificate?'}
          confirmLabel={request.status === 'pending' ? 'Withdraw' : 'Revoke'}
          onConfirm={() => void revoke()}
          onCancel={() => setConfirming(false)}
        >
          {request.status === 'pending'
            ? 'The operator will not see it any more.'
            : 'Its key is deleted at once: requests with this certificate are refused, on open connections too.'}
        </Confirm>
      ) : null}
    </article>
  );
}

function Rotate(props: { request: AccessRequestWire; appName: string; onDone: () => void }): JSX.Element {
  const [draft, setDraft] = useState<CredentialDraft>(emptyDraft());
  const [graceDays, setGraceDays] = useState('7');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { credential, key } = await credentialOf(draft, props.appName);
      const created = await portalCall<AccessRequestWire>('POST', `/api/requests/${props.request.id}/rotate`, {
        credential,
        grace_days: Number(graceDays),
      });
      if (key !== undefined) heldKeys.set(created.id, key);
      props.onDone();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={(event) => void submit(event)}>
      <h4>Rotate: a new credential takes over</h4>
      <ErrorBox error={error} />
      <CredentialFields draft={draft} onChange={setDraft} />
      <Field
        label="Grace period (days)"
        hint="The current certificate keeps working this long after the new one is approved (0 to 30)."
      >
        {(id, describedBy) => (
          <input
            id={id}
            type="number"
            min={0}
            max={30}
            aria-describedby={describedBy}
            value={graceDays}
            onInput={(event) => setGraceDays(event.currentTarget.value)}
          />
        )}
      </Field>
      <div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Rotating…' : 'Rotate'}
        </button>
      </div>
    </form>
  );
}

function RequestAccess(props: { appId: string; appName: string; onDone: () => void }): JSX.Element {
  const [products] = useLoad(() => portalCall<ProductWire[]>('GET', '/api/products'), []);
  const [productId, setProductId] = useState('');
  const [draft, setDraft] = useState<CredentialDraft>(emptyDraft());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const chosen = productId === '' ? (products.value?.[0]?.id ?? '') : productId;
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const { credential, key } = await credentialOf(draft, props.appName);
      const created = await portalCall<AccessRequestWire>('POST', `/api/apps/${props.appId}/requests`, {
        product_id: chosen,
        credential,
      });
      if (key !== undefined) heldKeys.set(created.id, key);
      setDraft(emptyDraft());
      const product = products.value?.find((candidate) => candidate.id === chosen)?.name ?? 'the product';
      setDone(
        created.status === 'approved'
          ? `Access to ${product} granted: your key and certificate are above.`
          : `Access to ${product} requested: the operator decides, its card above shows the answer.`,
      );
      props.onDone();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(event) => void submit(event)}>
      <h2>Request access</h2>
      {done === undefined ? null : <Notice tone="success">{done}</Notice>}
      <ErrorBox error={error} />
      <Field label="Product">
        {(id) => (
          <select id={id} value={chosen} onChange={(event) => setProductId(event.currentTarget.value)}>
            {(products.value ?? []).map((product) => (
              <option key={product.id} value={product.id}>
                {product.name} ({product.approval_mode === 'automatic' ? 'granted at once' : 'approved by the operator'}
                )
              </option>
            ))}
          </select>
        )}
      </Field>
      <CredentialFields draft={draft} onChange={setDraft} />
      <div>
        <button type="submit" class="primary" disabled={busy || chosen === ''}>
          {busy ? 'Requesting…' : 'Request access'}
        </button>
      </div>
    </form>
  );
}
