/**
 * Certificate authorities of the zone's account: the managed CA (which issues the client
 * certificates) and uploaded CAs; upload a bundle (paste or file), choose the hostnames that trust
 * each, delete (the API refuses while a hostname uses it, and its message is shown as it is).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type {
  HostnameAssociationsWire,
  MtlsAssociationWire,
  MtlsCertificateWire,
} from '../../../src/admin-api/wire-types.ts';
import { del, get, list, post, put, type ApiError } from '../api/client.ts';
import { fieldOfError } from '../api/field-errors.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { Confirm, Empty, ErrorBox, Field, Loading, Notice, PageHeader, formatDate } from '../components/ui.tsx';
import { canEdit, zone } from '../session.ts';
import { NoZone } from './certificates.tsx';

interface UploadedCa {
  ca: MtlsCertificateWire;
  uses: MtlsAssociationWire[];
}

interface Authorities {
  managedHostnames: string[];
  uploaded: UploadedCa[];
}

async function loadAuthorities(zoneId: string, accountId: string): Promise<Authorities> {
  const [managed, uploaded] = await Promise.all([
    get<HostnameAssociationsWire>(`/zones/${zoneId}/certificate_authorities/hostname_associations`),
    list<MtlsCertificateWire>(`/accounts/${accountId}/mtls_certificates`),
  ]);
  const cas = uploaded.items.filter((item) => item.ca);
  const uses = await Promise.all(
    cas.map((ca) => list<MtlsAssociationWire>(`/accounts/${accountId}/mtls_certificates/${ca.id}/associations`)),
  );
  return {
    managedHostnames: managed.hostnames,
    uploaded: cas.map((ca, index) => ({ ca, uses: uses[index]?.items ?? [] })),
  };
}

export function AuthoritiesPage(): JSX.Element {
  const current = zone.value;
  const [loaded, reload] = useLoad(
    () => (current === undefined ? Promise.resolve(undefined) : loadAuthorities(current.id, current.account.id)),
    [current?.id],
  );
  const [deleting, setDeleting] = useState<MtlsCertificateWire | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  if (current === undefined) return <NoZone />;
  const data = loaded.value;
  const remove = async (): Promise<void> => {
    if (deleting === undefined) return;
    setActionError(undefined);
    try {
      await del(`/accounts/${current.account.id}/mtls_certificates/${deleting.id}`);
      setNotice(`Deleted ${deleting.name || deleting.id}.`);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
    } finally {
      setDeleting(undefined);
    }
  };
  return (
    <section>
      <PageHeader title="Certificate authorities" />
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ErrorBox error={actionError} title="The gateway refused:" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {data === undefined ? (
        <Loading what="certificate authorities" />
      ) : (
        <>
          <div class="card">
            <h2>Managed CA of {current.account.name}</h2>
            <p class="muted">
              Issues this account's client certificates from CSRs. Hostnames of {current.name} that trust it:
            </p>
            <HostnameEditor zoneId={current.id} caId={undefined} hostnames={data.managedHostnames} onSaved={reload} />
          </div>
          <div class="card">
            <h2>Uploaded CAs</h2>
            {data.uploaded.length === 0 ? (
              <Empty>No CA uploaded to this account yet.</Empty>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Issuer</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Hostnames that trust it</th>
                      <th scope="col">
                        <span class="muted">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.uploaded.map(({ ca, uses }) => (
                      <tr key={ca.id}>
                        <td>{ca.name || <span class="muted">(unnamed)</span>}</td>
                        <td>
                          <span class="truncate" title={ca.issuer}>
                            {ca.issuer}
                          </span>
                        </td>
                        <td>{formatDate(ca.expires_on)}</td>
                        <td>
                          <HostnameEditor
                            zoneId={current.id}
                            caId={ca.id}
                            hostnames={uses.filter((use) => use.zone_id === current.id).map((use) => use.hostname)}
                            otherZones={uses.filter((use) => use.zone_id !== current.id).length}
                            onSaved={reload}
                          />
                        </td>
                        <td>
                          {canEdit.value ? (
                            <button
                              type="button"
                              class="danger"
                              onClick={() => setDeleting(ca)}
                              aria-label={`Delete ${ca.name || ca.id}`}
                            >
                              Delete
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
          {canEdit.value ? (
            <UploadCa
              accountId={current.account.id}
              onUploaded={(name) => {
                setNotice(`Uploaded ${name}.`);
                reload();
              }}
            />
          ) : null}
        </>
      )}
      <Confirm
        open={deleting !== undefined}
        title="Delete this CA?"
        confirmLabel="Delete"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          Clients whose certificates chain to <strong>{deleting?.name || deleting?.id}</strong> will no longer be
          trusted. The gateway refuses while a hostname uses it.
        </p>
      </Confirm>
    </section>
  );
}

function HostnameEditor(props: {
  zoneId: string;
  caId: string | undefined;
  hostnames: string[];
  otherZones?: number;
  onSaved: () => void;
}): JSX.Element {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(props.hostnames.join(', '));
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    const hostnames = text.split(/[\s,]+/).filter((name) => name !== '');
    try {
      await put(`/zones/${props.zoneId}/certificate_authorities/hostname_associations`, {
        hostnames,
        ...(props.caId === undefined ? {} : { mtls_certificate_id: props.caId }),
      });
      setEditing(false);
      props.onSaved();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  const shown = (
    <span>
      {props.hostnames.length === 0 ? <span class="muted">none</span> : props.hostnames.join(', ')}
      {props.otherZones !== undefined && props.otherZones > 0 ? (
        <span class="muted"> (+{props.otherZones} in other zones)</span>
      ) : null}
    </span>
  );
  if (!editing)
    return (
      <div class="inline-actions">
        {shown}
        {canEdit.value ? (
          <button type="button" class="link-button" onClick={() => setEditing(true)}>
            Edit hostnames
          </button>
        ) : null}
      </div>
    );
  return (
    <form class="stack" onSubmit={(event) => void save(event)}>
      <Field label="Hostnames (comma-separated)" error={error?.errors[0]?.message}>
        {(id, describedBy) => (
          <input
            id={id}
            aria-describedby={describedBy}
            value={text}
            onInput={(event) => setText(event.currentTarget.value)}
          />
        )}
      </Field>
      <div class="inline-actions">
        <button type="submit" class="primary">
          Save
        </button>
        <button type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function UploadCa({ accountId, onUploaded }: { accountId: string; onUploaded: (name: string) => void }): JSX.Element {
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const problem = error === undefined ? undefined : fieldOfError(error.errors[0]?.message ?? '');
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post(`/accounts/${accountId}/mtls_certificates`, { ca: true, certificates: pem, name });
      onUploaded(name || 'the CA');
      setName('');
      setPem('');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(event) => void submit(event)} noValidate>
      <h2>Upload a CA bundle</h2>
      {problem !== undefined && problem.field !== 'certificates' && problem.field !== 'name' ? (
        <ErrorBox error={error} />
      ) : null}
      <Field label="Name" error={problem?.field === 'name' ? problem.message : undefined}>
        {(id, describedBy) => (
          <input
            id={id}
            maxLength={200}
            aria-describedby={describedBy}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label="CA certificates (PEM)"
        hint="The root, and any intermediates"
        error={problem?.field === 'certificates' ? problem.message : undefined}
      >
        {(id, describedBy) => (
          <textarea
            id={id}
            spellcheck={false}
            aria-describedby={describedBy}
            value={pem}
            onInput={(event) => setPem(event.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Or read a file">
        {(id) => (
          <input
            id={id}
            type="file"
            accept=".pem,.crt,.cer,text/plain"
            onChange={(event) => {
              const file = event.currentTarget.files?.[0];
              if (file !== undefined) void file.text().then(setPem);
            }}
          />
        )}
      </Field>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || pem.trim() === ''}>
          {busy ? 'Uploading…' : 'Upload CA'}
        </button>
      </div>
    </form>
  );
}
