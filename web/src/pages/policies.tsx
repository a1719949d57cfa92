/**
 * The account's policies (the Tyk model: access rights to APIs, a rate limit and a quota that keys
 * inherit): list, create, edit (PUT: every field), delete.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { AccessRightWire, GatewayApiWire, GatewayPolicyWire } from '../../../src/admin-api/wire-types.ts';
import { del, list, post, put, type ApiError } from '../api/client.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { Confirm, Empty, ErrorBox, Loading, Notice, PageHeader } from '../components/ui.tsx';
import {
  NO_PAIR,
  QuotaFields,
  RateLimitFields,
  TextField,
  describeQuota,
  describeRateLimit,
  errorAt,
  pairOfQuota,
  pairOfRateLimit,
  placed,
  quotaOf,
  rateLimitOf,
  type PairText,
} from '../gateway/form-kit.tsx';
import { canEdit, zone } from '../session.ts';
import { NoZone } from './certificates.tsx';
import '../pages.css';

const FIELDS = ['name', 'access_rights', 'rate_limit', 'quota'];

export function PoliciesPage(): JSX.Element {
  const current = zone.value;
  const accountId = current?.account.id;
  const [loaded, reload] = useLoad(async () => {
    if (current === undefined) return undefined;
    const [policies, apis] = await Promise.all([
      list<GatewayPolicyWire>(`/accounts/${current.account.id}/gateway/policies`),
      list<GatewayApiWire>(`/zones/${current.id}/gateway/apis`),
    ]);
    return { policies: policies.items, apis: apis.items };
  }, [current?.id]);
  const [editing, setEditing] = useState<GatewayPolicyWire | 'new' | undefined>(undefined);
  const [deleting, setDeleting] = useState<GatewayPolicyWire | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  if (current === undefined || accountId === undefined) return <NoZone />;
  const data = loaded.value;
  const apiName = (id: string): string => data?.apis.find((api) => api.id === id)?.name ?? id;
  const remove = async (): Promise<void> => {
    if (deleting === undefined) return;
    setActionError(undefined);
    try {
      await del(`/accounts/${accountId}/gateway/policies/${deleting.id}`);
      setNotice(`Deleted the policy ${deleting.name}.`);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
    } finally {
      setDeleting(undefined);
    }
  };
  return (
    <section>
      <PageHeader title="Policies">
        {canEdit.value && editing === undefined ? (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            Create a policy
          </button>
        ) : null}
      </PageHeader>
      <p class="muted">Policies of {current.account.name}: keys that name a policy get its rights and limits.</p>
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ErrorBox error={actionError} title="The gateway refused:" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {editing === undefined || data === undefined ? null : (
        <PolicyForm
          accountId={accountId}
          apis={data.apis}
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
      {data === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="policies" />
        ) : null
      ) : data.policies.length === 0 ? (
        <Empty>No policy in {current.account.name} yet.</Empty>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Policies">
          <table>
            <caption>Policies of {current.account.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">APIs</th>
                <th scope="col">Rate limit</th>
                <th scope="col">Quota</th>
                <th scope="col">
                  <span class="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.policies.map((policy) => (
                <tr key={policy.id}>
                  <th scope="row">
                    <strong>{policy.name}</strong>
                    {policy.active ? null : <span class="badge"> inactive</span>}
                  </th>
                  <td>
                    {policy.access_rights.length === 0 ? (
                      <span class="muted">every API</span>
                    ) : (
                      policy.access_rights.map((right) => apiName(right.api_id)).join(', ')
                    )}
                  </td>
                  <td>{describeRateLimit(policy.rate_limit)}</td>
                  <td>{describeQuota(policy.quota)}</td>
                  <td>
                    {canEdit.value ? (
                      <div class="inline-actions">
                        <button type="button" onClick={() => setEditing(policy)} aria-label={`Edit ${policy.name}`}>
                          Edit
                        </button>
                        <button
                          type="button"
                          class="danger"
                          onClick={() => setDeleting(policy)}
                          aria-label={`Delete ${policy.name}`}
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
        title="Delete this policy?"
        confirmLabel="Delete"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          Keys that name <strong>{deleting?.name}</strong> lose its rights and limits. The gateway refuses while a key
          uses it.
        </p>
      </Confirm>
    </section>
  );
}

function PolicyForm(props: {
  accountId: string;
  apis: readonly GatewayApiWire[];
  initial: GatewayPolicyWire | undefined;
  onDone: (notice: string | undefined) => void;
}): JSX.Element {
  const initial = props.initial;
  const [name, setName] = useState(initial?.name ?? '');
  const [apiIds, setApiIds] = useState<ReadonlySet<string>>(
    new Set((initial?.access_rights ?? []).map((right) => right.api_id)),
  );
  const [rateLimit, setRateLimit] = useState<PairText>(
    initial === undefined ? NO_PAIR : pairOfRateLimit(initial.rate_limit),
  );
  const [quota, setQuota] = useState<PairText>(initial === undefined ? NO_PAIR : pairOfQuota(initial.quota));
  const [active, setActive] = useState(initial?.active ?? true);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    // Rights of APIs outside this zone are kept as they are (the form lists this zone's).
    const kept = (initial?.access_rights ?? []).filter((right) => !props.apis.some((api) => api.id === right.api_id));
    const rights: AccessRightWire[] = [
      ...kept,
      ...[...apiIds]
        .filter((id) => props.apis.some((api) => api.id === id))
        .map(
          (id) => initial?.access_rights.find((right) => right.api_id === id) ?? { api_id: id, methods: [], paths: [] },
        ),
    ];
    const body = { name, access_rights: rights, rate_limit: rateLimitOf(rateLimit), quota: quotaOf(quota), active };
    try {
      if (initial === undefined) await post(`/accounts/${props.accountId}/gateway/policies`, body);
      else await put(`/accounts/${props.accountId}/gateway/policies/${initial.id}`, body);
      props.onDone(`Saved the policy ${name}.`);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{initial === undefined ? 'Create a policy' : `Edit ${initial.name}`}</h2>
      {error !== undefined && !placed(error, FIELDS) ? <ErrorBox error={error} /> : null}
      <TextField label="Name" value={name} onInput={setName} error={errorAt(error, 'name')} />
      <fieldset>
        <legend>APIs it grants (none chosen: every API)</legend>
        {props.apis.length === 0 ? <p class="hint">This zone has no API yet.</p> : null}
        {props.apis.map((api) => (
          <label key={api.id} class="check-row">
            <input
              type="checkbox"
              checked={apiIds.has(api.id)}
              onChange={() => {
                const next = new Set(apiIds);
                if (next.has(api.id)) next.delete(api.id);
                else next.add(api.id);
                setApiIds(next);
              }}
            />
            {api.name}
          </label>
        ))}
        {errorAt(error, 'access_rights') === undefined ? null : (
          <p class="field-error" role="alert">
            {errorAt(error, 'access_rights')}
          </p>
        )}
      </fieldset>
      <RateLimitFields value={rateLimit} onChange={setRateLimit} error={error} />
      <QuotaFields value={quota} onChange={setQuota} error={error} />
      <label class="check-row">
        <input type="checkbox" checked={active} onChange={(event) => setActive(event.currentTarget.checked)} />
        Active
      </label>
      <div class="actions">
        <button type="button" onClick={() => props.onDone(undefined)}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {initial === undefined ? 'Create policy' : 'Save policy'}
        </button>
      </div>
    </form>
  );
}
