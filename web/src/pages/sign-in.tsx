/** Sign in with an API token: it goes to the server once, in a POST body, and is kept nowhere here. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { asApiError } from '../components/async.ts';
import { ErrorBox, Field, Notice } from '../components/ui.tsx';
import type { ApiError } from '../api/client.ts';
import { signInWith } from '../session.ts';

export function SignIn({ notice }: { notice?: string | undefined }): JSX.Element {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signInWith(token);
      setToken('');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form class="card sign-in-card" onSubmit={(event) => void submit(event)} autocomplete="off">
        <h1>
          <span class="brand-mark" aria-hidden="true" />
          Portcullis
        </h1>
        <p class="lead">
          Sign in with an API token: the bootstrap token in the data directory's admin-token file, or a scoped one.
        </p>
        {notice === undefined ? null : <Notice>{notice}</Notice>}
        <ErrorBox error={error} />
        <Field label="API token" hint="The session lasts 8 hours and has exactly this token's permissions.">
          {(id, describedBy) => (
            <input
              id={id}
              name="token"
              type="password"
              required
              spellcheck={false}
              autocomplete="off"
              aria-describedby={describedBy}
              value={token}
              onInput={(event) => setToken(event.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
