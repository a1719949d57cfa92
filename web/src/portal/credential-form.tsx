/**
 * One credential for an access request or a rotation: a key made in this browser (ECDSA P-256;
 * only the CSR is sent), a pasted CSR, or a pasted certificate of one's own CA (bound by exact
 * certificate or by public key).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { newKeyAndCsr, type BrowserKey } from '../crypto/key-and-csr.ts';
import { Field } from '../components/ui.tsx';
import type { CredentialWire } from './portal-api.ts';

export type CredentialChoice = 'browser_key' | 'csr' | 'certificate';

export interface CredentialDraft {
  kind: CredentialChoice;
  text: string;
  bindTo: 'leaf' | 'spki';
}

export function emptyDraft(): CredentialDraft {
  return { kind: 'browser_key', text: '', bindTo: 'leaf' };
}

/** The credential to send, and the browser key made for it (browser_key only). */
export async function credentialOf(
  draft: CredentialDraft,
  commonName: string,
): Promise<{ credential: CredentialWire; key: BrowserKey | undefined }> {
  if (draft.kind === 'browser_key') {
    const key = await newKeyAndCsr(commonName);
    return { credential: { kind: 'browser_key', csr: key.csrPem }, key };
  }
  if (draft.kind === 'csr') return { credential: { kind: 'csr', csr: draft.text }, key: undefined };
  return { credential: { kind: 'certificate', certificate: draft.text, bind_to: draft.bindTo }, key: undefined };
}

const CHOICES: readonly { value: CredentialChoice; label: string; hint: string }[] = [
  {
    value: 'browser_key',
    label: 'Make a key in this browser',
    hint: 'A new ECDSA P-256 key is made here; only its certificate request is sent. You get the key as PEM and a PKCS#12 file.',
  },
  { value: 'csr', label: 'Paste a certificate request (CSR)', hint: 'Made with openssl, a device or an HSM.' },
  {
    value: 'certificate',
    label: 'Paste my own certificate',
    hint: 'From a CA the operator trusts for these APIs. Self-signed certificates cannot be verified by the gateway.',
  },
];

export function CredentialFields(props: {
  draft: CredentialDraft;
  onChange: (draft: CredentialDraft) => void;
  fieldError?: string | undefined;
}): JSX.Element {
  const { draft, onChange } = props;
  const [name] = useState(() => `credential-${Math.random().toString(36).slice(2)}`);
  return (
    <div class="stack">
      <fieldset class="stack">
        <legend>Credential</legend>
        {CHOICES.map((choice) => (
          <label class="radio-row" key={choice.value}>
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={draft.kind === choice.value}
              onChange={() => onChange({ ...draft, kind: choice.value })}
            />
            <span>
              <strong>{choice.label}</strong>
              <br />
              <span class="muted">{choice.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {draft.kind === 'browser_key' ? null : (
        <Field
          label={draft.kind === 'csr' ? 'Certificate request (PEM)' : 'Certificate (PEM)'}
          error={props.fieldError}
        >
          {(id, describedBy) => (
            <textarea
              id={id}
              rows={8}
              spellcheck={false}
              aria-describedby={describedBy}
              placeholder={draft.kind === 'csr' ? '-----BEGIN CERTIFICATE REQUEST-----' : '-----BEGIN CERTIFICATE-----'}
              value={draft.text}
              onInput={(event) => onChange({ ...draft, text: event.currentTarget.value })}
            />
          )}
        </Field>
      )}
      {draft.kind === 'certificate' ? (
        <Field label="Bind the key to">
          {(id) => (
            <select
              id={id}
              value={draft.bindTo}
              onChange={(event) => onChange({ ...draft, bindTo: event.currentTarget.value as 'leaf' | 'spki' })}
            >
              <option value="leaf">this exact certificate</option>
              <option value="spki">its public key (renewals with the same key keep working)</option>
            </select>
          )}
        </Field>
      ) : null}
    </div>
  );
}
