/**
 * Zones (paged by the API, created here) and the current zone's hostnames: each with its edge
 * certificate, the CAs that trust it and what enforces client certificates on it; "Require client
 * certificates" writes API Shield's mTLS rule (POST /zones/{id}/gateway/mtls_rule) for the chosen
 * hostnames, keeping those the rule already covers.
 */
import type { JSX } from 'preact';
import { signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import type { AccountWire, ZoneWire } from '../../../src/admin-api/wire-types.ts';
import { list, post, type ApiError } from '../api/client.ts';
import { fieldOfError } from '../api/field-errors.ts';
import { asApiError, useLoad } from '../components/async.ts';
import { Empty, ErrorBox, Field, Loading, Notice, PageHeader, Pager } from '../components/ui.tsx';
import { route } from '../router.ts';
import { canEdit, chooseZone, loadZones, zone, zoneId } from '../session.ts';
import { HostnamesCard } from '../zones/hostnames-card.tsx';

const PER_PAGE = 20;
/** Outlives the page: choosing the new zone starts the page afresh (app.tsx keys it by zone). */
const created = signal<string | undefined>(undefined);

export function ZonesPage(): JSX.Element {
  useEffect(
    () => () => {
      if (route.value.parts[0] !== 'zones') created.value = undefined;
    },
    [],
  );
  const [page, setPage] = useState(1);
  const notice = created.value;
  const [loaded, reload] = useLoad(() => list<ZoneWire>('/zones', { page, per_page: PER_PAGE }), [page]);
  const result = loaded.value;
  const current = zone.value;
  return (
    <section>
      <PageHeader title="Zones & hostnames" />
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <div class="card">
        <h2>Zones</h2>
        {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
        {result === undefined ? (
          <Loading what="zones" />
        ) : result.items.length === 0 ? (
          <Empty>No zone yet: create the first one below.</Empty>
        ) : (
          <>
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Zones">
              <table aria-busy={loaded.state === 'loading'}>
                <thead>
                  <tr>
                    <th scope="col">Zone</th>
                    <th scope="col">Account</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span class="muted">Shown below</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.items.map((item) => (
                    <tr key={item.id}>
                      <td>
                        {item.name}
                        {item.delegated ? <span class="muted"> (delegated)</span> : null}
                      </td>
                      <td>{item.account.name}</td>
                      <td>{item.paused ? 'paused' : item.status}</td>
                      <td>
                        {item.id === zoneId.value ? (
                          <span class="badge status-ok">current</span>
                        ) : (
                          <button
                            type="button"
                            class="link-button"
                            onClick={() => chooseZone(item.id)}
                            aria-label={`Show the hostnames of ${item.name}`}
                          >
                            Show hostnames
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {result.info === undefined ? null : (
              <Pager
                page={result.info.page}
                totalPages={result.info.total_pages}
                total={result.info.total_count}
                onPage={setPage}
              />
            )}
          </>
        )}
      </div>
      {canEdit.value ? (
        <CreateZone
          onCreated={(zoneCreated) => {
            created.value = `Created zone ${zoneCreated.name}.`;
            reload();
            void loadZones().then(() => chooseZone(zoneCreated.id));
          }}
        />
      ) : null}
      {current === undefined ? null : <HostnamesCard zone={current} />}
    </section>
  );
}

function CreateZone({ onCreated }: { onCreated: (zone: ZoneWire) => void }): JSX.Element {
  const [accounts] = useLoad(() => list<AccountWire>('/accounts', { per_page: 50 }), []);
  const [name, setName] = useState('');
  const [accountId, setAccountId] = useState('');
  const [newAccount, setNewAccount] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const options = accounts.value?.items ?? [];
  const chosen = accountId === '' ? (options[0]?.id ?? 'new') : accountId;
  const problem = error === undefined ? undefined : fieldOfError(error.errors[0]?.message ?? '');
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const account =
        chosen === 'new' ? (await post<AccountWire>('/accounts', { name: newAccount.trim() || name })).id : chosen;
      const created = await post<ZoneWire>('/zones', { name: name.trim(), account: { id: account } });
      setName('');
      setNewAccount('');
      onCreated(created);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card stack" onSubmit={(event) => void submit(event)} noValidate>
      <h2>Create a zone</h2>
      {error !== undefined && problem?.field !== 'name' ? <ErrorBox error={error} /> : null}
      <Field
        label="Zone name"
        hint="The domain whose hostnames this zone serves, e.g. api.example.com"
        error={problem?.field === 'name' ? problem.message : undefined}
      >
        {(id, describedBy) => (
          <input
            id={id}
            aria-describedby={describedBy}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Account">
        {(id) => (
          <select id={id} value={chosen} onChange={(event) => setAccountId(event.currentTarget.value)}>
            {options.map((account) => (
              <option key={account.id} value={account.id}>
                {account.name}
              </option>
            ))}
            <option value="new">A new account…</option>
          </select>
        )}
      </Field>
      {chosen === 'new' ? (
        <Field label="New account name" hint="Default: the zone's name">
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={newAccount}
              onInput={(event) => setNewAccount(event.currentTarget.value)}
            />
          )}
        </Field>
      ) : null}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || name.trim() === ''}>
          {busy ? 'Creating…' : 'Create zone'}
        </button>
      </div>
    </form>
  );
}
