/** The developer's account: change password (the other sessions end). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from '../../api/client.ts';
import { asApiError } from '../../components/async.ts';
import { ErrorBox, Field, Notice, PageHeader } from '../../components/ui.tsx';
import { portalCall, type SessionWire } from '../portal-api.ts';
import { portalSession, refreshCsrf } from '../portal-session.ts';

export function AccountPage(): JSX.Element {
  const state = portalSession.value;
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    setDone(false);
    try {
      refreshCsrf(
        await portalCall<SessionWire>('POST', '/api/password', { current_password: current, new_password: next }),
      );
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  return (
    <section>
      <PageHeader title="Account" />
      {state.kind === 'signed-in' ? (
        <p>
          Signed in as <strong>{state.session.developer.email}</strong>
          {state.session.developer.name === '' ? '' : ` (${state.session.developer.name})`}.
        </p>
      ) : null}
      <form class="card stack" onSubmit={(event) => void submit(event)}>
        <h2>Change password</h2>
        {done ? <Notice tone="success">Password changed. Your other sessions are signed out.</Notice> : null}
        <ErrorBox error={error} />
        <Field label="Current password">
          {(id) => (
            <input
              id={id}
              type="password"
              autocomplete="current-password"
              value={current}
              onInput={(event) => setCurrent(event.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="New password" hint="At least 12 characters.">
          {(id, describedBy) => (
            <input
              id={id}
              type="password"
              autocomplete="new-password"
              aria-describedby={describedBy}
              value={next}
              onInput={(event) => setNext(event.currentTarget.value)}
            />
          )}
        </Field>
        <div>
          <button type="submit" class="primary" disabled={current === '' || next === ''}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
