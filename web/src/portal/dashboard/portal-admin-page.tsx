/**
 * The operator's developer-portal page in the dashboard: the sign-up mode, invitation links,
 * access requests waiting for a decision (approve or reject, with a message for the developer),
 * and the products. Everything goes through the management API (/client/v4/portal/…).
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { get, post, put, type ApiError } from '../../api/client.ts';
import { asApiError, useLoad } from '../../components/async.ts';
import {
  Empty,
  ErrorBox,
  Field,
  Loading,
  Mono,
  Notice,
  PageHeader,
  StatusBadge,
  formatDate,
} from '../../components/ui.tsx';
import { canEdit } from '../../session.ts';

interface SettingsWire {
  signup_mode: string;
  portal_url: string | null;
}

interface ProductWire {
  id: string;
  name: string;
  approval_mode: string;
  published: boolean;
  api_ids: string[];
}

interface RequestWire {
  id: string;
  developer_id: string;
  app_id: string;
  product_id: string;
  credential_kind: string;
  status: string;
  requested_on: string;
}

interface DeveloperWire {
  id: string;
  email: string;
  status: string;
}

export function PortalAdminPage(): JSX.Element {
  const [settings, reloadSettings] = useLoad(() => get<SettingsWire>('/portal/settings'), []);
  const [products] = useLoad(() => get<ProductWire[]>('/portal/products'), []);
  const [developers] = useLoad(() => get<DeveloperWire[]>('/portal/developers').catch(() => []), []);
  const [pending, reloadPending] = useLoad(
    () => get<RequestWire[]>('/portal/access_requests', { status: 'pending' }),
    [],
  );
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [invitation, setInvitation] = useState<string | undefined>(undefined);
  const [messages, setMessages] = useState<Record<string, string>>({});
  const emailOf = (id: string): string => developers.value?.find((d) => d.id === id)?.email ?? id;
  const productOf = (id: string): string => products.value?.find((p) => p.id === id)?.name ?? id;

  const act = async (work: () => Promise<unknown>, after: () => void): Promise<void> => {
    setError(undefined);
    try {
      await work();
      after();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };

  return (
    <section class="stack">
      <PageHeader title="Developer portal" />
      <ErrorBox error={error} />
      {settings.value === undefined ? (
        settings.state === 'failed' ? (
          <ErrorBox error={settings.error} />
        ) : (
          <Loading what="the portal settings" />
        )
      ) : (
        <div class="card stack">
          <p>
            {settings.value.portal_url === null ? (
              'The portal is not running on this gateway (serve --portal-listen).'
            ) : (
              <>
                The portal: <Mono value={settings.value.portal_url} copy />
              </>
            )}
          </p>
          <Field label="Sign-up" hint="invite: only with an invitation link; approval: you approve new accounts.">
            {(id, describedBy) => (
              <select
                id={id}
                aria-describedby={describedBy}
                disabled={!canEdit.value}
                value={settings.value?.signup_mode}
                onChange={(event) => {
                  const mode = event.currentTarget.value;
                  void act(() => put('/portal/settings', { signup_mode: mode }), reloadSettings);
                }}
              >
                <option value="invite">invite</option>
                <option value="approval">approval</option>
                <option value="open">open</option>
              </select>
            )}
          </Field>
          <div>
            <button
              type="button"
              disabled={!canEdit.value}
              onClick={() =>
                void act(
                  async () => {
                    const link = await post<{ url: string | null; path: string }>('/portal/invitations', {});
                    setInvitation(link.url ?? link.path);
                  },
                  () => undefined,
                )
              }
            >
              Make an invitation link
            </button>
          </div>
          {invitation === undefined ? null : (
            <Notice tone="success">
              Valid 7 days, once. Shown only now: <Mono value={invitation} copy />
            </Notice>
          )}
        </div>
      )}
      <h2>Access requests waiting for you</h2>
      {pending.value === undefined ? (
        <Loading what="access requests" />
      ) : pending.value.length === 0 ? (
        <Empty>No access request is waiting.</Empty>
      ) : (
        pending.value.map((request) => (
          <article class="card stack" key={request.id} data-request={request.id}>
            <h3>
              {productOf(request.product_id)} <StatusBadge status={request.status} />
            </h3>
            <p>
              {emailOf(request.developer_id)} asked on {formatDate(request.requested_on)} with a{' '}
              {request.credential_kind.replace('_', ' ')}.
            </p>
            <Field label="Message to the developer (optional)">
              {(id) => (
                <input
                  id={id}
                  value={messages[request.id] ?? ''}
                  onInput={(event) => setMessages({ ...messages, [request.id]: event.currentTarget.value })}
                />
              )}
            </Field>
            <div class="inline-actions">
              <button
                type="button"
                class="primary"
                disabled={!canEdit.value}
                onClick={() =>
                  void act(
                    () =>
                      post(`/portal/access_requests/${request.id}/approve`, { message: messages[request.id] ?? '' }),
                    reloadPending,
                  )
                }
              >
                Approve
              </button>
              <button
                type="button"
                class="danger"
                disabled={!canEdit.value}
                onClick={() =>
                  void act(
                    () => post(`/portal/access_requests/${request.id}/reject`, { message: messages[request.id] ?? '' }),
                    reloadPending,
                  )
                }
              >
                Reject
              </button>
            </div>
          </article>
        ))
      )}
      <h2>Products</h2>
      {products.value === undefined ? (
        <Loading what="products" />
      ) : products.value.length === 0 ? (
        <Empty>No product yet: portcullis portal product create, or POST /client/v4/portal/products.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Product</th>
                <th>APIs</th>
                <th>Approval</th>
                <th>Published</th>
              </tr>
            </thead>
            <tbody>
              {products.value.map((product) => (
                <tr key={product.id}>
                  <td>{product.name}</td>
                  <td>{product.api_ids.length}</td>
                  <td>{product.approval_mode}</td>
                  <td>{product.published ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
