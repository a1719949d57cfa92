/**
 * Issue a client certificate from the zone's managed CA: from a CSR pasted here, or from a key the
 * browser makes (ECDSA P-256, WebCrypto) whose CSR is built in the page — only the CSR is sent. The
 * result is offered as PEM (certificate, and the key when made here) and as PKCS#12 with a passphrase.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ClientCertificateWire } from '../../../src/admin-api/wire-types.ts';
import { post, type ApiError } from '../api/client.ts';
import { fieldOfError } from '../api/field-errors.ts';
import { asApiError } from '../components/async.ts';
import { download, fileNameOf } from '../components/download.ts';
import { ErrorBox, Field, Mono, Notice, PageHeader } from '../components/ui.tsx';
import { derOfPem, newKeyAndCsr, type BrowserKey } from '../crypto/key-and-csr.ts';
import { buildPkcs12 } from '../crypto/pkcs12.ts';
import { link } from '../router.ts';
import { zone } from '../session.ts';
import { NoZone } from './certificates.tsx';

type Mode = 'browser' | 'csr';

export function IssueCertificate(): JSX.Element {
  const current = zone.value;
  const [mode, setMode] = useState<Mode>('browser');
  const [commonName, setCommonName] = useState('');
  const [organization, setOrganization] = useState('');
  const [csr, setCsr] = useState('');
  const [validityDays, setValidityDays] = useState('365');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [issued, setIssued] = useState<{ certificate: ClientCertificateWire; key: BrowserKey | undefined } | undefined>(
    undefined,
  );
  if (current === undefined) return <NoZone />;

  const problem = error === undefined ? undefined : fieldOfError(error.errors[0]?.message ?? '');
  const fieldError = (field: string): string | undefined => (problem?.field === field ? problem.message : undefined);
  const formError = problem !== undefined && !['csr', 'validity_days'].includes(problem.field) ? error : undefined;

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const key = mode === 'browser' ? await newKeyAndCsr(commonName.trim(), organization.trim()) : undefined;
      const certificate = await post<ClientCertificateWire>(`/zones/${current.id}/client_certificates`, {
        csr: key?.csrPem ?? csr,
        validity_days: Number(validityDays),
      });
      setIssued({ certificate, key });
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  if (issued !== undefined) return <Issued certificate={issued.certificate} browserKey={issued.key} />;
  return (
    <section>
      <p class="muted">
        <a href={link('certificates')}>Client certificates</a> /
      </p>
      <PageHeader title="Issue a client certificate" />
      <form class="card stack" onSubmit={(event) => void submit(event)} noValidate>
        <ErrorBox error={formError} />
        <fieldset>
          <legend>Key</legend>
          <div class="radio-row">
            <label>
              <input
                type="radio"
                name="mode"
                value="browser"
                checked={mode === 'browser'}
                onChange={() => setMode('browser')}
              />
              Make a key in this browser
            </label>
            <label>
              <input type="radio" name="mode" value="csr" checked={mode === 'csr'} onChange={() => setMode('csr')} />
              Paste a CSR
            </label>
          </div>
        </fieldset>
        {mode === 'browser' ? (
          <>
            <Field
              label="Common name (CN)"
              hint="ECDSA P-256 key made by the browser; only the CSR is sent to the gateway."
              error={fieldError('csr')}
            >
              {(id, describedBy) => (
                <input
                  id={id}
                  required
                  maxLength={64}
                  aria-describedby={describedBy}
                  value={commonName}
                  onInput={(event) => setCommonName(event.currentTarget.value)}
                />
              )}
            </Field>
            <Field label="Organization (O)" hint="Optional">
              {(id, describedBy) => (
                <input
                  id={id}
                  maxLength={64}
                  aria-describedby={describedBy}
                  value={organization}
                  onInput={(event) => setOrganization(event.currentTarget.value)}
                />
              )}
            </Field>
          </>
        ) : (
          <Field label="CSR (PEM)" hint="-----BEGIN CERTIFICATE REQUEST----- …" error={fieldError('csr')}>
            {(id, describedBy) => (
              <textarea
                id={id}
                required
                spellcheck={false}
                aria-describedby={describedBy}
                value={csr}
                onInput={(event) => setCsr(event.currentTarget.value)}
              />
            )}
          </Field>
        )}
        <Field label="Validity (days)" error={fieldError('validity_days')}>
          {(id, describedBy) => (
            <input
              id={id}
              type="number"
              min={1}
              inputMode="numeric"
              aria-describedby={describedBy}
              value={validityDays}
              onInput={(event) => setValidityDays(event.currentTarget.value)}
            />
          )}
        </Field>
        <div class="actions">
          <a class="button" href={link('certificates')}>
            Cancel
          </a>
          <button
            type="submit"
            class="primary"
            disabled={busy || (mode === 'browser' ? commonName.trim() === '' : csr.trim() === '')}
          >
            {busy ? 'Issuing…' : 'Issue certificate'}
          </button>
        </div>
      </form>
    </section>
  );
}

function Issued({
  certificate,
  browserKey,
}: {
  certificate: ClientCertificateWire;
  browserKey: BrowserKey | undefined;
}): JSX.Element {
  const [passphrase, setPassphrase] = useState('');
  const [building, setBuilding] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const name = fileNameOf(certificate.common_name);
  const makePkcs12 = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (browserKey === undefined) return;
    setBuilding(true);
    setError(undefined);
    try {
      const der = await buildPkcs12(
        derOfPem(certificate.certificate),
        browserKey.pkcs8,
        passphrase,
        certificate.common_name,
      );
      download(`${name}.p12`, der, 'application/x-pkcs12');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBuilding(false);
    }
  };
  return (
    <section>
      <PageHeader title="Certificate issued" />
      <Notice tone="success">
        Issued <strong>{certificate.common_name}</strong>, valid until {certificate.expires_on}.{' '}
        <a href={link('certificates', certificate.id)}>Open its page</a>.
      </Notice>
      <div class="card stack">
        <h2>Downloads</h2>
        {browserKey === undefined ? null : (
          <Notice tone="warning">
            The private key exists only in this page: download it now, it cannot be shown again.
          </Notice>
        )}
        <p>
          SHA-256 <Mono value={certificate.fingerprint_sha256} copy />
        </p>
        <div class="inline-actions">
          <button
            type="button"
            onClick={() => download(`${name}.pem`, certificate.certificate, 'application/x-pem-file')}
          >
            Certificate (PEM)
          </button>
          {browserKey === undefined ? null : (
            <button
              type="button"
              onClick={() => download(`${name}.key`, browserKey.keyPem + '\n', 'application/x-pem-file')}
            >
              Private key (PEM)
            </button>
          )}
        </div>
        {browserKey === undefined ? null : (
          <form class="stack" onSubmit={(event) => void makePkcs12(event)}>
            <ErrorBox error={error} />
            <Field label="PKCS#12 passphrase" hint="At least 8 characters; protects the key inside the .p12 file.">
              {(id, describedBy) => (
                <input
                  id={id}
                  type="password"
                  minLength={8}
                  autocomplete="new-password"
                  aria-describedby={describedBy}
                  value={passphrase}
                  onInput={(event) => setPassphrase(event.currentTarget.value)}
                />
              )}
            </Field>
            <div>
              <button type="submit" disabled={building || passphrase.length < 8}>
                {building ? 'Building…' : 'Download PKCS#12 (.p12)'}
              </button>
            </div>
          </form>
        )}
        <pre class="pem">{certificate.certificate}</pre>
      </div>
    </section>
  );
}
