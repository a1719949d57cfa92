/** The developer's apps, certificates expiring within 30 days, and a new app. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from '../../api/client.ts';
import { asApiError, useLoad } from '../../components/async.ts';
import { Empty, ErrorBox, Field, Loading, Notice, PageHeader, formatDate } from '../../components/ui.tsx';
import { link, navigate } from '../../router.ts';
import { portalCall, type AccessRequestWire, type AppWire } from '../portal-api.ts';

export function AppsPage(): JSX.Element {
  const [apps, reload] = useLoad(() => portalCall<AppWire[]>('GET', '/api/apps'), []);
  const [expiring] = useLoad(() => portalCall<AccessRequestWire[]>('GET', '/api/expiring'), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      const created = await portalCall<AppWire>('POST', '/api/apps', { name });
      setName('');
      reload();
      navigate(link('apps', created.id));
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  return (
    <section class="stack">
      <PageHeader title="My apps" />
      {expiring.value !== undefined && expiring.value.length > 0 ? (
        <Notice tone="warning">
          {expiring.value.length === 1 ? 'A certificate expires' : `${expiring.value.length} certificates expire`}{' '}
          within 30 days:{' '}
          {expiring.value.map((request, index) => (
            <span key={request.id}>
              {index === 0 ? '' : ', '}
              <a href={link('apps', request.app_id)}>
                {apps.value?.find((app) => app.id === request.app_id)?.name ?? 'an app'} on{' '}
                {formatDate(request.not_after)}
              </a>
            </span>
          ))}
          . Rotate them from the app's page.
        </Notice>
      ) : null}
      {apps.state === 'failed' ? <ErrorBox error={apps.error} /> : null}
      {apps.value === undefined ? (
        <Loading what="apps" />
      ) : apps.value.length === 0 ? (
        <Empty>No app yet: create one, then request access to a product for it.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>App</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {apps.value.map((app) => (
                <tr key={app.id}>
                  <td>
                    <a href={link('apps', app.id)}>{app.name}</a>
                  </td>
                  <td>{formatDate(app.created_on)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="card stack" onSubmit={(event) => void create(event)}>
        <h2>New app</h2>
        <ErrorBox error={error} />
        <Field label="App name" hint="What the app is, for you and the operator.">
          {(id, describedBy) => (
            <input
              id={id}
              required
              maxLength={100}
              aria-describedby={describedBy}
              value={name}
              onInput={(event) => setName(event.currentTarget.value)}
            />
          )}
        </Field>
        <div>
          <button type="submit" class="primary" disabled={name.trim() === ''}>
            Create app
          </button>
        </div>
      </form>
    </section>
  );
}
