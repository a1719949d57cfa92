/** The zone's client certificates: filters and search done by the API, paged by the API. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ClientCertificateWire } from '../../../src/admin-api/wire-types.ts';
import { list } from '../api/client.ts';
import { useLoad } from '../components/async.ts';
import {
  Empty,
  ErrorBox,
  Field,
  Loading,
  PageHeader,
  Pager,
  StatusBadge,
  daysUntil,
  formatDate,
} from '../components/ui.tsx';
import { link } from '../router.ts';
import { canEdit, zone } from '../session.ts';

const PER_PAGE = 50;

export function CertificatesPage(): JSX.Element {
  const current = zone.value;
  const [status, setStatus] = useState('all');
  const [expiring, setExpiring] = useState('');
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [loaded] = useLoad(
    () =>
      current === undefined
        ? Promise.resolve(undefined)
        : list<ClientCertificateWire>(`/zones/${current.id}/client_certificates`, {
            status,
            search,
            expires_within_days: expiring,
            page,
            per_page: PER_PAGE,
          }),
    [current?.id, status, expiring, search, page],
  );
  if (current === undefined) return <NoZone />;
  const result = loaded.value;
  const info = result?.info;
  return (
    <section>
      <PageHeader title="Client certificates">
        {canEdit.value ? (
          <a class="button primary" href={link('certificates', 'new')}>
            Issue a certificate
          </a>
        ) : null}
      </PageHeader>
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setPage(1);
          setSearch(searchText.trim());
        }}
      >
        <Field label="Status">
          {(id) => (
            <select
              id={id}
              value={status}
              onChange={(event) => {
                setStatus(event.currentTarget.value);
                setPage(1);
              }}
            >
              <option value="all">All</option>
              <option value="active">Active</option>
              <option value="pending_revocation">Pending revocation</option>
              <option value="revoked">Revoked</option>
            </select>
          )}
        </Field>
        <Field label="Expiring">
          {(id) => (
            <select
              id={id}
              value={expiring}
              onChange={(event) => {
                setExpiring(event.currentTarget.value);
                setPage(1);
              }}
            >
              <option value="">Any time</option>
              <option value="7">Within 7 days</option>
              <option value="30">Within 30 days</option>
              <option value="90">Within 90 days</option>
            </select>
          )}
        </Field>
        <Field label="Search" hint="Common name, serial or SHA-256 fingerprint">
          {(id, describedBy) => (
            <input
              id={id}
              type="search"
              aria-describedby={describedBy}
              value={searchText}
              onInput={(event) => setSearchText(event.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit">Search</button>
      </form>
      {loaded.state === 'failed' ? <ErrorBox error={loaded.error} /> : null}
      {result === undefined ? (
        loaded.state === 'loading' ? (
          <Loading what="certificates" />
        ) : null
      ) : result.items.length === 0 ? (
        <Empty>
          {search !== '' || status !== 'all' || expiring !== ''
            ? 'No certificate matches these filters.'
            : `No client certificate in ${current.name} yet.`}
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table aria-busy={loaded.state === 'loading'}>
              <caption>Client certificates of {current.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Common name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Serial</th>
                  <th scope="col">SHA-256</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {result.items.map((certificate) => (
                  <tr key={certificate.id}>
                    <td>
                      <a href={link('certificates', certificate.id)} class="truncate" title={certificate.common_name}>
                        {certificate.common_name || '(no common name)'}
                      </a>
                    </td>
                    <td>
                      <StatusBadge status={certificate.status} />
                    </td>
                    <td>
                      <code class="truncate" title={certificate.serial_number}>
                        {certificate.serial_number}
                      </code>
                    </td>
                    <td>
                      <code class="truncate" title={certificate.fingerprint_sha256}>
                        {certificate.fingerprint_sha256.slice(0, 16)}…
                      </code>
                    </td>
                    <td>
                      {formatDate(certificate.expires_on)}
                      {certificate.status === 'active' && daysUntil(certificate.expires_on) <= 30 ? (
                        <>
                          {' '}
                          <StatusBadge status="expiring" />
                        </>
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
    </section>
  );
}

export function NoZone(): JSX.Element {
  return (
    <section>
      <PageHeader title="No zone yet" />
      <Empty>
        Create a zone first: <a href={link('zones')}>Zones &amp; hostnames</a>.
      </Empty>
    </section>
  );
}
