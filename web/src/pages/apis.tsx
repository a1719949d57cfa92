/**
 * The zone's APIs (the Tyk model: a hostname and listen path routed to an upstream, with an
 * authentication mode and a rate limit): list, create, edit (PUT: every field), delete.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { GatewayApiWire } from '../../../src/admin-api/wire-types.ts';
import { del, list, post, put, type ApiError } from '../api/client.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { Confirm, Empty, ErrorBox, Field, Loading, Notice, PageHeader } from '../components/ui.tsx';
import {
  NO_PAIR,
  RateLimitFields,
  TextField,
  describeRateLimit,
  errorAt,
  pairOfRateLimit,
  placed,
  rateLimitOf,
  type PairText,
} from '../gateway/form-kit.tsx';
import { canEdit, zone } from '../session.ts';
import { NoZone } from './certificates.tsx';
import '../pages.css';

type AuthMode = GatewayApiWire['auth']['mode'];
const AUTH_MODES: readonly { value: AuthMode; label: string }[] = [
  { value: 'keyless', label: 'Keyless (the zone rules still apply)' },
  { value: 'mtls_static', label: 'mTLS, a fixed list of certificates' },
  { value: 'mtls_dynamic', label: 'mTLS, the certificate bound to a key' },
  { value: 'token', label: 'Token key' },
];
const FIELDS = [
  'name',
  'hostname',
  'listen_path',
  'upstream_url',
  'protocol',
  'auth',
  'mode',
  'rate_limit',
  'allowed_certificates',
];

export function ApisPage(): JSX.Element {
  const current = zone.value;
  const [loaded, reload] = useLoad(
    () =>
      current === undefined ? Promise.resolve(undefined) : list<GatewayApiWire>(`/zones/${current.id}/gateway/apis`),
    [current?.id],
  );
  const [editing, setEditing] = useState<GatewayApiWire | 'new' | undefined>(undefined);
  const [deleting, setDeleting] = useState<GatewayApiWire | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  if (current === undefined) return <NoZone />;
  const apis = loaded.value?.items;
  const remove = async (): Promise<void> => {
    if (deleting === undefined) return;
    setActionError(undefined);
    try {
      await del(`/zones/${current.id}/gateway/apis/${deleting.id}`);
      setNotice(`Deleted the API ${deleting.name}.`);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
    } finally {
      setDeleting(undefined);
    }
  };
  return (
    <section>
      <PageHeader title="APIs">
        {canEdit.value && editing === undefined ? (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            Create an API
          </button>
        ) : null}
      </PageHeader>
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ErrorBox error={actionError} title="The gateway refused:" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {editing === undefined ? null : (
        <ApiForm
          zoneId={current.id}
          initial={editing === 'new' ? undefined : editing}
          onDone={(text) => {
            setEditing(undefined);
            if (text !== undefined) {
              setNotice(text);
              reload();
            }
          }}
        />
      )}
      {apis === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="APIs" />
        ) : null
      ) : apis.length === 0 ? (
        <Empty>No API in {current.name} yet.</Empty>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="APIs">
          <table>
            <caption>APIs of {current.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Listens on</th>
                <th scope="col">Upstream</th>
                <th scope="col">Authentication</th>
                <th scope="col">Rate limit</th>
                <th scope="col">
                  <span class="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {apis.map((api) => (
                <tr key={api.id}>
                  <th scope="row">
                    <strong>{api.name}</strong>
                    {api.active ? null : <span class="badge"> inactive</span>}
                    <br />
                    <code class="small muted">{api.id}</code>
                  </th>
                  <td>
                    <code>
                      {api.hostname}
                      {api.listen_path}
                    </code>
                  </td>
                  <td>
                    <code class="truncate" title={api.upstream_url}>
                      {api.upstream_url}
                    </code>
                  </td>
                  <td>
                    {api.auth.mode}
                    {api.auth.mode === 'mtls_static' ? (
                      <span class="muted small"> ({api.auth.allowed_certificates.length} certificates)</span>
                    ) : null}
                  </td>
                  <td>{describeRateLimit(api.rate_limit)}</td>
                  <td>
                    {canEdit.value ? (
                      <div class="inline-actions">
                        <button type="button" onClick={() => setEditing(api)} aria-label={`Edit ${api.name}`}>
                          Edit
                        </button>
                        <button
                          type="button"
                          class="danger"
                          onClick={() => setDeleting(api)}
                          aria-label={`Delete ${api.name}`}
                        >
                          Delete
                        </button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Confirm
        open={deleting !== undefined}
        title="Delete this API?"
        confirmLabel="Delete"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          Requests to <strong>{deleting?.name}</strong> stop being served at once.
        </p>
      </Confirm>
    </section>
  );
}

/** `sha256:<hex>`, a client certificate id or an uploaded certificate id, one per line. */
function allowedOf(text: string): GatewayApiWire['auth']['allowed_certificates'] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      if (line.startsWith('mtls:')) return { mtls_certificate_id: line.slice(5).trim() };
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(line)) return { client_certificate_id: line };
      return { sha256: line.replace(/^sha256:/i, '') };
    });
}

function allowedText(entries: GatewayApiWire['auth']['allowed_certificates']): string {
  return entries
    .map((entry) =>
      'sha256' in entry
        ? entry.sha256
        : 'client_certificate_id' in entry
          ? entry.client_certificate_id
          : `mtls:${entry.mtls_certificate_id}`,
    )
    .join('\n');
}

function ApiForm(props: {
  zoneId: string;
  initial: GatewayApiWire | undefined;
  onDone: (notice: string | undefined) => void;
}): JSX.Element {
  const initial = props.initial;
  const [name, setName] = useState(initial?.name ?? '');
  const [hostname, setHostname] = useState(initial?.hostname ?? '');
  const [listenPath, setListenPath] = useState(initial?.listen_path ?? '/');
  const [upstream, setUpstream] = useState(initial?.upstream_url ?? '');
  const [strip, setStrip] = useState(initial?.strip_listen_path ?? false);
  const [protocol, setProtocol] = useState<'http' | 'grpc'>(initial?.protocol ?? 'http');
  const [mode, setMode] = useState<AuthMode>(initial?.auth.mode ?? 'mtls_dynamic');
  const [allowed, setAllowed] = useState(allowedText(initial?.auth.allowed_certificates ?? []));
  const [tokenRequired, setTokenRequired] = useState(initial?.auth.token_required ?? false);
  const [rateLimit, setRateLimit] = useState<PairText>(
    initial === undefined ? NO_PAIR : pairOfRateLimit(initial.rate_limit),
  );
  const [active, setActive] = useState(initial?.active ?? true);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const body = {
      name,
      hostname: hostname.trim(),
      listen_path: listenPath.trim(),
      upstream_url: upstream.trim(),
      strip_listen_path: strip,
      protocol,
      active,
      auth: {
        mode,
        ...(mode === 'mtls_static' ? { allowed_certificates: allowedOf(allowed), token_required: tokenRequired } : {}),
      },
      rate_limit: rateLimitOf(rateLimit),
    };
    try {
      if (initial === undefined) await post(`/zones/${props.zoneId}/gateway/apis`, body);
      else await put(`/zones/${props.zoneId}/gateway/apis/${initial.id}`, body);
      props.onDone(`Saved the API ${name}.`);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{initial === undefined ? 'Create an API' : `Edit ${initial.name}`}</h2>
      {error !== undefined && !placed(error, FIELDS) ? <ErrorBox error={error} /> : null}
      <div class="form-row">
        <TextField label="Name" value={name} onInput={setName} error={errorAt(error, 'name')} />
        <TextField
          label="Hostname"
          value={hostname}
          onInput={setHostname}
          error={errorAt(error, 'hostname')}
          hint="A hostname of the zone"
        />
        <TextField
          label="Listen path"
          value={listenPath}
          onInput={setListenPath}
          error={errorAt(error, 'listen_path')}
        />
        <TextField
          label="Upstream URL"
          value={upstream}
          onInput={setUpstream}
          error={errorAt(error, 'upstream_url')}
          hint="http://, https:// or h2c:// host[:port][/path]"
        />
      </div>
      <div class="form-row">
        <Field label="Protocol" error={errorAt(error, 'protocol')}>
          {(id, describedBy) => (
            <select
              id={id}
              aria-describedby={describedBy}
              value={protocol}
              onChange={(event) => setProtocol(event.currentTarget.value === 'grpc' ? 'grpc' : 'http')}
            >
              <option value="http">HTTP</option>
              <option value="grpc">gRPC</option>
            </select>
          )}
        </Field>
        <Field label="Authentication" error={errorAt(error, 'auth.mode', 'mode')}>
          {(id, describedBy) => (
            <select
              id={id}
              aria-describedby={describedBy}
              value={mode}
              onChange={(event) =>
                setMode(AUTH_MODES.find((item) => item.value === event.currentTarget.value)?.value ?? 'keyless')
              }
            >
              {AUTH_MODES.map((item) => (
                <option key={item.value} value={item.value}>
                  {item.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {mode === 'mtls_static' ? (
        <>
          <Field
            label="Allowed certificates"
            hint="One per line: a SHA-256 fingerprint, a client certificate id, or mtls:<uploaded certificate id>"
            error={errorAt(error, 'auth.allowed_certificates', 'auth')}
          >
            {(id, describedBy) => (
              <textarea
                id={id}
                spellcheck={false}
                aria-describedby={describedBy}
                value={allowed}
                onInput={(event) => setAllowed(event.currentTarget.value)}
              />
            )}
          </Field>
          <label class="check-row">
            <input
              type="checkbox"
              checked={tokenRequired}
              onChange={(event) => setTokenRequired(event.currentTarget.checked)}
            />
            A token key is required as well as the certificate
          </label>
        </>
      ) : null}
      <RateLimitFields value={rateLimit} onChange={setRateLimit} error={error} />
      <div class="form-row">
        <label class="check-row">
          <input type="checkbox" checked={strip} onChange={(event) => setStrip(event.currentTarget.checked)} />
          Remove the listen path before sending upstream
        </label>
        <label class="check-row">
          <input type="checkbox" checked={active} onChange={(event) => setActive(event.currentTarget.checked)} />
          Active
        </label>
      </div>
      <div class="actions">
        <button type="button" onClick={() => props.onDone(undefined)}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {initial === undefined ? 'Create API' : 'Save API'}
        </button>
      </div>
    </form>
  );
}
