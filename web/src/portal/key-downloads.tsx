/** The key made in this page and the PKCS#12 file of it with its issued certificate. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from '../api/client.ts';
import { asApiError } from '../components/async.ts';
import { download } from '../components/download.ts';
import { ErrorBox, Field, Notice } from '../components/ui.tsx';
import { buildPkcs12 } from '../crypto/pkcs12.ts';
import { derOfPem } from '../crypto/key-and-csr.ts';

export function KeyDownloads(props: {
  fileName: string;
  keyPem: string | undefined;
  pkcs8: ArrayBuffer | undefined;
  certificatePem: string | null;
}): JSX.Element {
  const [passphrase, setPassphrase] = useState('');
  const [building, setBuilding] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [ownKey, setOwnKey] = useState<ArrayBuffer | undefined>(undefined);
  const pkcs8 = props.pkcs8 ?? ownKey;
  const makePkcs12 = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (pkcs8 === undefined || props.certificatePem === null) return;
    setBuilding(true);
    setError(undefined);
    try {
      const der = await buildPkcs12(derOfPem(props.certificatePem), pkcs8, passphrase, props.fileName);
      download(`${props.fileName}.p12`, der, 'application/x-pkcs12');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBuilding(false);
    }
  };
  const readKeyFile = async (file: File | undefined): Promise<void> => {
    setError(undefined);
    if (file === undefined) return;
    try {
      // Read here, never sent: the PKCS#12 file is made in this page.
      setOwnKey(derOfPem(await file.text()));
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  return (
    <div class="stack">
      {props.keyPem === undefined ? null : (
        <Notice tone="warning">
          <div class="notice-with-action">
            <span>The private key exists only in this page: download it now, it cannot be shown again.</span>
            <button
              type="button"
              onClick={() => download(`${props.fileName}.key`, (props.keyPem ?? '') + '\n', 'application/x-pem-file')}
            >
              Private key (PEM)
            </button>
          </div>
        </Notice>
      )}
      {props.certificatePem === null ? null : (
        <form class="stack pkcs12-form" onSubmit={(event) => void makePkcs12(event)}>
          <h4>PKCS#12 file, for curl, browsers and phones</h4>
          <ErrorBox error={error} />
          {props.pkcs8 === undefined ? (
            <Field
              label="Your private key file (PEM), to build a PKCS#12 file"
              hint="Read in this page only, never sent."
            >
              {(id, describedBy) => (
                <input
                  id={id}
                  type="file"
                  accept=".key,.pem"
                  aria-describedby={describedBy}
                  onChange={(event) => void readKeyFile(event.currentTarget.files?.[0])}
                />
              )}
            </Field>
          ) : null}
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
            <button type="submit" disabled={building || passphrase.length < 8 || pkcs8 === undefined}>
              {building ? 'Building…' : 'Download PKCS#12 (.p12)'}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
