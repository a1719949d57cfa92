/** Sign in, sign up (open, approval or with an invitation link) and password reset by the operator's link. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../../api/client.ts';
import { asApiError } from '../../components/async.ts';
import { ErrorBox, Field, Notice } from '../../components/ui.tsx';
import { navigate } from '../../router.ts';
import { portalCall } from '../portal-api.ts';
import { portalSignIn, portalSignUp } from '../portal-session.ts';

type Mode = 'signin' | 'signup' | 'invitation' | 'reset';

const TITLES: Record<Mode, string> = {
  signin: 'Sign in',
  signup: 'Create your developer account',
  invitation: 'You are invited: create your account',
  reset: 'Choose a new password',
};

export function AuthPage(props: { mode: Mode; secret?: string; notice?: string | undefined }): JSX.Element {
  const { mode, secret } = props;
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [signupMode, setSignupMode] = useState<string>('');
  // "Signed out." (or why the session ended) says what happened before this form, not after a try.
  const [tried, setTried] = useState(false);
  // An invitation made for one address is only good for it (the server refuses another).
  const [invitedEmail, setInvitedEmail] = useState(false);
  // An unknown, used or expired invitation: the form could only be refused, so it is not offered.
  const [linkFailed, setLinkFailed] = useState(false);

  useEffect(() => {
    if (mode === 'invitation' && secret !== undefined) {
      portalCall<{ kind: string; email: string }>('GET', `/api/links/${encodeURIComponent(secret)}`).then(
        (link) => {
          setEmail(link.email);
          setInvitedEmail(link.email !== '');
        },
        (failure: unknown) => {
          setError(asApiError(failure));
          setLinkFailed(true);
        },
      );
    }
    if (mode === 'signin' || mode === 'signup') {
      portalCall<{ signup_mode: string }>('GET', '/api/signup').then(
        (result) => setSignupMode(result.signup_mode),
        () => setSignupMode(''),
      );
    }
  }, [mode, secret]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setTried(true);
    setError(undefined);
    try {
      if (mode === 'signin') {
        await portalSignIn(email, password);
      } else if (mode === 'reset') {
        await portalCall('POST', '/api/password_reset', { secret, password });
        setDone('Your password is changed: sign in with it.');
        navigate('#/');
      } else {
        const status = await portalSignUp({
          email,
          password,
          name,
          ...(mode === 'invitation' && secret !== undefined ? { invitation: secret } : {}),
        });
        if (status === 'pending') setDone("Your account is created and waits for the operator's approval.");
        navigate('#/');
      }
      setPassword('');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form class="card sign-in-card" onSubmit={(event) => void submit(event)}>
        <h1>
          <span class="brand-mark" aria-hidden="true" />
          {TITLES[mode]}
        </h1>
        {props.notice === undefined || tried ? null : <Notice>{props.notice}</Notice>}
        {done === undefined ? null : <Notice tone="success">{done}</Notice>}
        {/* The server would refuse the form: say why before anyone fills it in. */}
        {mode === 'signup' && signupMode === 'invite' ? (
          <Notice tone="warning">
            Accounts are by invitation: ask the operator for an invitation link, then open it here.
          </Notice>
        ) : null}
        <ErrorBox error={error} />
        {linkFailed ? null : (
          <>
            {mode === 'reset' ? null : (
              <Field label="Email" hint={invitedEmail ? 'The address the invitation was made for.' : undefined}>
                {(id, describedBy) => (
                  <input
                    id={id}
                    type="email"
                    required
                    readOnly={invitedEmail}
                    autocomplete={mode === 'signin' ? 'username' : 'email'}
                    aria-describedby={describedBy}
                    value={email}
                    onInput={(event) => setEmail(event.currentTarget.value)}
                  />
                )}
              </Field>
            )}
            {mode === 'signup' || mode === 'invitation' ? (
              <Field label="Name (optional)">
                {(id) => (
                  <input
                    id={id}
                    autocomplete="name"
                    value={name}
                    onInput={(event) => setName(event.currentTarget.value)}
                  />
                )}
              </Field>
            ) : null}
            <Field
              label="Password"
              hint={mode === 'signin' ? undefined : 'At least 12 characters. A passphrase is fine.'}
            >
              {(id, describedBy) => (
                <input
                  id={id}
                  type="password"
                  required
                  autocomplete={mode === 'signin' ? 'current-password' : 'new-password'}
                  aria-describedby={describedBy}
                  value={password}
                  onInput={(event) => setPassword(event.currentTarget.value)}
                />
              )}
            </Field>
            <button
              type="submit"
              class="primary"
              disabled={busy || password === '' || (mode === 'signup' && signupMode === 'invite')}
            >
              {busy
                ? 'Please wait…'
                : TITLES[mode] === 'Sign in'
                  ? 'Sign in'
                  : mode === 'reset'
                    ? 'Set password'
                    : 'Create account'}
            </button>
          </>
        )}
        {mode === 'signin' && signupMode !== 'invite' && signupMode !== '' ? (
          <p class="switch">
            New here? <a href="#/signup">Create an account</a>
            {signupMode === 'approval' ? ' (the operator approves new accounts)' : ''}.
          </p>
        ) : null}
        {mode === 'signin' && signupMode === 'invite' ? (
          <p class="switch muted">Accounts are by invitation: ask the operator for an invitation link.</p>
        ) : null}
        {mode === 'signin' ? (
          <p class="switch muted">Forgot your password? The operator can give you a reset link.</p>
        ) : (
          <p class="switch">
            <a href="#/">Back to sign-in</a>
          </p>
        )}
      </form>
    </main>
  );
}
