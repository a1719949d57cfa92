/**
 * The account's keys (the Tyk model), paged by the API: the certificate each is bound to, its
 * policies, its rate limit and quota with their use (quota left from the API; answers refused with
 * 429 in the last hour from the zone's request log). Create (a token secret is shown once), edit
 * the settings (PATCH), delete.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type {
  AnalyticsRequestWire,
  GatewayKeyWire,
  GatewayPolicyWire,
  ClientCertificateWire,
} from '../../../src/admin-api/wire-types.ts';
import { del, list, patch, post, type ApiError } from '../api/client.ts';
import { asApiError, useLoad } from '../components/async.ts';
import {
  Confirm,
  Empty,
  ErrorBox,
  Field,
  Loading,
  Mono,
  Notice,
  PageHeader,
  Pager,
  StatusBadge,
  formatDate,
} from '../components/ui.tsx';
import {
  NO_PAIR,
  QuotaFields,
  QuotaUsage,
  RateLimitFields,
  TextField,
  describeRateLimit,
  errorAt,
  pairOfQuota,
  pairOfRateLimit,
  placed,
  quotaOf,
  rateLimitOf,
  type PairText,
} from '../gateway/form-kit.tsx';
import { link } from '../router.ts';
import { canEdit, zone } from '../session.ts';
import { NoZone } from './certificates.tsx';
import '../pages.css';

const PER_PAGE = 25;
const FIELDS = ['alias', 'certificate', 'bind_to', 'policy_ids', 'rate_limit', 'quota', 'expires_on'];

/**
 * The quota quota_remaining counts (src/policy/effective-limits.ts): the key's own without
 * policies; with policies the most generous of theirs (the highest max per second; none wins).
 */
function effectiveQuota(key: GatewayKeyWire, policies: readonly GatewayPolicyWire[]): GatewayKeyWire['quota'] {
  if (key.policy_ids.length === 0) return key.quota;
  let best: GatewayKeyWire['quota'] | undefined;
  for (const id of key.policy_ids) {
    const quota = policies.find((policy) => policy.id === id)?.quota;
    if (quota === undefined) continue;
    if (quota === null) return null;
    const rate = (value: NonNullable<GatewayKeyWire['quota']>): number => value.max / value.renewal_rate;
    if (
      best === undefined ||
      best === null ||
      rate(quota) > rate(best) ||
      (rate(quota) === rate(best) && quota.max > best.max)
    )
      best = quota;
  }
  return best ?? null;
}

async function refusedLastHour(zoneId: string): Promise<Map<string, number>> {
  const since = new Date(Date.now() - 3_600_000).toISOString();
  const { items } = await list<AnalyticsRequestWire>(`/zones/${zoneId}/gateway/analytics/requests`, {
    since,
    status: 429,
    limit: 1000,
  });
  const counts = new Map<string, number>();
  for (const item of items) if (item.key_id !== null) counts.set(item.key_id, (counts.get(item.key_id) ?? 0) + 1);
  return counts;
}

export function KeysPage(): JSX.Element {
  const current = zone.value;
  const [page, setPage] = useState(1);
  const [loaded, reload] = useLoad(async () => {
    if (current === undefined) return undefined;
    const [keys, policies, refused] = await Promise.all([
      list<GatewayKeyWire>(`/accounts/${current.account.id}/gateway/keys`, { page, per_page: PER_PAGE }),
      list<GatewayPolicyWire>(`/accounts/${current.account.id}/gateway/policies`),
      refusedLastHour(current.id),
    ]);
    return { keys, policies: policies.items, refused };
  }, [current?.id, page]);
  const [editing, setEditing] = useState<GatewayKeyWire | 'new' | undefined>(undefined);
  const [deleting, setDeleting] = useState<GatewayKeyWire | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  if (current === undefined) return <NoZone />;
  const accountId = current.account.id;
  const data = loaded.value;
  const policyName = (id: string): string => data?.policies.find((policy) => policy.id === id)?.name ?? id;
  const remove = async (): Promise<void> => {
    if (deleting === undefined) return;
    setActionError(undefined);
    try {
      await del(`/accounts/${accountId}/gateway/keys/${deleting.id}`);
      setNotice(`Deleted the key ${deleting.alias || deleting.id}.`);
      reload();
    } catch (error) {
      setActionError(asApiError(error));
    } finally {
      setDeleting(undefined);
    }
  };
  const info = data?.keys.info;
  return (
    <section>
      <PageHeader title="Keys">
        {canEdit.value && editing === undefined ? (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            Create a key
          </button>
        ) : null}
      </PageHeader>
      <p class="muted">Keys of {current.account.name}: a client certificate or a token, with rights and limits.</p>
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      {secret === undefined ? null : (
        <Notice tone="warning">
          The key's token, shown this once: <Mono value={secret} copy />
        </Notice>
      )}
      <ErrorBox error={actionError} title="The gateway refused:" />
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {data?.keys.messages.map((message) => (
        <Notice key={message.code} tone="warning">
          {message.message}
        </Notice>
      ))}
      {editing === undefined || data === undefined ? null : (
        <KeyForm
          accountId={accountId}
          policies={data.policies}
          initial={editing === 'new' ? undefined : editing}
          onDone={(text, token) => {
            setEditing(undefined);
            setSecret(token);
            if (text !== undefined) {
              setNotice(text);
              reload();
            }
          }}
        />
      )}
      {data === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="keys" />
        ) : null
      ) : data.keys.items.length === 0 ? (
        <Empty>No key in {current.account.name} yet.</Empty>
      ) : (
        <>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Keys">
            <table aria-busy={loaded.state === 'loading'}>
              <caption>Keys of {current.account.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Bound certificate</th>
                  <th scope="col">Policies</th>
                  <th scope="col">Rate limit</th>
                  <th scope="col">Quota</th>
                  <th scope="col">
                    <span class="muted">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.keys.items.map((key) => (
                  <tr key={key.id}>
                    <th scope="row">
                      <strong>{key.alias || '(no alias)'}</strong>
                      {key.active ? null : <span class="badge"> inactive</span>}
                      <br />
                      <code class="small muted">{key.id}</code>
                      {key.expires_on === null ? null : (
                        <span class="small muted"> · expires {formatDate(key.expires_on)}</span>
                      )}
                    </th>
                    <td>
                      <Binding binding={key.certificate_binding} hasSecret={key.has_secret} zoneId={current.id} />
                    </td>
                    <td>
                      {key.policy_ids.length === 0 ? (
                        <span class="muted">none</span>
                      ) : (
                        key.policy_ids.map(policyName).join(', ')
                      )}
                    </td>
                    <td>
                      {describeRateLimit(key.rate_limit)}
                      <br />
                      <span class="small muted">
                        {(data.refused.get(key.id) ?? 0).toLocaleString('en')} refused (429) in the last hour
                      </span>
                    </td>
                    <td>
                      <QuotaUsage quota={effectiveQuota(key, data.policies)} remaining={key.quota_remaining} />
                      {key.quota === null && effectiveQuota(key, data.policies) !== null ? (
                        <span class="small muted">from its policy</span>
                      ) : null}
                    </td>
                    <td>
                      {canEdit.value ? (
                        <div class="inline-actions">
                          <button
                            type="button"
                            onClick={() => setEditing(key)}
                            aria-label={`Edit ${key.alias || key.id}`}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            class="danger"
                            onClick={() => setDeleting(key)}
                            aria-label={`Delete ${key.alias || key.id}`}
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
          {info === undefined ? null : (
            <Pager page={info.page} totalPages={info.total_pages} total={info.total_count} onPage={setPage} />
          )}
        </>
      )}
      <Confirm
        open={deleting !== undefined}
        title="Delete this key?"
        confirmLabel="Delete"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        <p>
          Requests made with <strong>{deleting?.alias || deleting?.id}</strong> are refused at once.
        </p>
      </Confirm>
    </section>
  );
}

/**
 * The certificate a key is bound to: a leaf's SHA-256 is looked up among the zone's client
 * certificates (the API's search takes a fingerprint) to name it and link to its page.
 */
function Binding({
  binding,
  hasSecret,
  zoneId,
}: {
  binding: GatewayKeyWire['certificate_binding'];
  hasSecret: boolean;
  zoneId: string;
}): JSX.Element {
  const fingerprint = binding?.kind === 'leaf_sha256' ? binding.value : undefined;
  const [found] = useLoad(
    () =>
      fingerprint === undefined
        ? Promise.resolve(undefined)
        : list<ClientCertificateWire>(`/zones/${zoneId}/client_certificates`, { search: fingerprint, per_page: 5 }),
    [fingerprint, zoneId],
  );
  if (binding === null) return <span class="muted">{hasSecret ? 'none (token key)' : 'none'}</span>;
  const certificate = found.value?.items.find((item) => item.fingerprint_sha256 === fingerprint);
  return (
    <span class="stack-tight">
      <span class="small">{binding.kind === 'spki_sha256' ? 'public key (SHA-256)' : 'certificate (SHA-256)'}</span>
      {certificate === undefined ? null : (
        <a href={link('certificates', certificate.id)}>
          {certificate.common_name || certificate.serial_number} <StatusBadge status={certificate.status} />
        </a>
      )}
      <code class="small truncate" title={binding.value}>
        {binding.value.slice(0, 16)}…
      </code>
    </span>
  );
}

type CertificateSource = 'none' | 'client_certificate_id' | 'pem' | 'sha256' | 'mtls_certificate_id';

function KeyForm(props: {
  accountId: string;
  policies: readonly GatewayPolicyWire[];
  initial: GatewayKeyWire | undefined;
  onDone: (notice: string | undefined, secret?: string) => void;
}): JSX.Element {
  const initial = props.initial;
  const [alias, setAlias] = useState(initial?.alias ?? '');
  const [source, setSource] = useState<CertificateSource>('client_certificate_id');
  const [certificate, setCertificate] = useState('');
  const [bindTo, setBindTo] = useState<'leaf' | 'spki'>('leaf');
  const [token, setToken] = useState(false);
  const [policyIds, setPolicyIds] = useState<ReadonlySet<string>>(new Set(initial?.policy_ids ?? []));
  const [rateLimit, setRateLimit] = useState<PairText>(
    initial === undefined ? NO_PAIR : pairOfRateLimit(initial.rate_limit),
  );
  const [quota, setQuota] = useState<PairText>(initial === undefined ? NO_PAIR : pairOfQuota(initial.quota));
  const [expires, setExpires] = useState(initial?.expires_on ?? '');
  const [active, setActive] = useState(initial?.active ?? true);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const settings = {
      alias,
      policy_ids: [...policyIds],
      rate_limit: rateLimitOf(rateLimit),
      quota: quotaOf(quota),
      // Creation takes no null (absent means never); a change to "never" is null.
      ...(expires.trim() === '' ? (initial === undefined ? {} : { expires_on: null }) : { expires_on: expires.trim() }),
      active,
    };
    try {
      if (initial === undefined) {
        const created = await post<GatewayKeyWire & { secret?: string }>(`/accounts/${props.accountId}/gateway/keys`, {
          ...settings,
          ...(source === 'none' ? {} : { certificate: { [source]: certificate.trim() }, bind_to: bindTo }),
          ...(token ? { token: true } : {}),
        });
        props.onDone(`Created the key ${alias || created.id}.`, created.secret);
      } else {
        await patch(`/accounts/${props.accountId}/gateway/keys/${initial.id}`, settings);
        props.onDone(`Saved the key ${alias || initial.id}.`);
      }
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{initial === undefined ? 'Create a key' : `Edit ${initial.alias || initial.id}`}</h2>
      {error !== undefined && !placed(error, FIELDS) ? <ErrorBox error={error} /> : null}
      <TextField label="Alias" value={alias} onInput={setAlias} error={errorAt(error, 'alias')} />
      {initial === undefined ? (
        <fieldset>
          <legend>Client certificate (fixed once created)</legend>
          <div class="form-row">
            <Field label="Bound to">
              {(id) => (
                <select
                  id={id}
                  value={source}
                  onChange={(event) => setSource(event.currentTarget.value as CertificateSource)}
                >
                  <option value="client_certificate_id">A client certificate of the account (its id)</option>
                  <option value="pem">A certificate (PEM)</option>
                  <option value="sha256">A SHA-256 fingerprint</option>
                  <option value="mtls_certificate_id">An uploaded certificate (its id)</option>
                  <option value="none">No certificate (token key)</option>
                </select>
              )}
            </Field>
            {source === 'none' || source === 'sha256' ? null : (
              <Field label="Bind to">
                {(id) => (
                  <select
                    id={id}
                    value={bindTo}
                    onChange={(event) => setBindTo(event.currentTarget.value === 'spki' ? 'spki' : 'leaf')}
                  >
                    <option value="leaf">This certificate</option>
                    <option value="spki">Its public key (renewals keep working)</option>
                  </select>
                )}
              </Field>
            )}
          </div>
          {source === 'none' ? null : (
            <Field label="Certificate" error={errorAt(error, 'certificate', 'bind_to')}>
              {(id, describedBy) =>
                source === 'pem' ? (
                  <textarea
                    id={id}
                    spellcheck={false}
                    aria-describedby={describedBy}
                    value={certificate}
                    onInput={(event) => setCertificate(event.currentTarget.value)}
                  />
                ) : (
                  <input
                    id={id}
                    spellcheck={false}
                    aria-describedby={describedBy}
                    value={certificate}
                    onInput={(event) => setCertificate(event.currentTarget.value)}
                  />
                )
              }
            </Field>
          )}
          <label class="check-row">
            <input type="checkbox" checked={token} onChange={(event) => setToken(event.currentTarget.checked)} />
            Make a token secret too (shown once)
          </label>
        </fieldset>
      ) : null}
      <fieldset>
        <legend>Policies</legend>
        {props.policies.length === 0 ? <p class="hint">The account has no policy yet.</p> : null}
        {props.policies.map((policy) => (
          <label key={policy.id} class="check-row">
            <input
              type="checkbox"
              checked={policyIds.has(policy.id)}
              onChange={() => {
                const next = new Set(policyIds);
                if (next.has(policy.id)) next.delete(policy.id);
                else next.add(policy.id);
                setPolicyIds(next);
              }}
            />
            {policy.name}
          </label>
        ))}
        {errorAt(error, 'policy_ids') === undefined ? null : (
          <p class="field-error" role="alert">
            {errorAt(error, 'policy_ids')}
          </p>
        )}
      </fieldset>
      <RateLimitFields value={rateLimit} onChange={setRateLimit} error={error} />
      <QuotaFields value={quota} onChange={setQuota} error={error} />
      <div class="form-row">
        <TextField
          label="Expires on"
          value={expires}
          onInput={setExpires}
          error={errorAt(error, 'expires_on')}
          hint="RFC 3339, e.g. 2030-01-01T00:00:00Z; empty: never"
        />
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
          {initial === undefined ? 'Create key' : 'Save key'}
        </button>
      </div>
    </form>
  );
}
