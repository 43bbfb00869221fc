import { Button, Notice, TextControl } from '@wordpress/components';
import { useState } from 'react';
import type { FormEvent } from 'react';
import { ApiError } from '../api';

/** What a failed sign-in means to the person at the keyboard. */
export function signInErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Signing in failed. Try again.';
  switch (error.code) {
    case 'invalid_credentials':
      return 'Wrong username or application password.';
    case 'too_many_auth_failures': {
      const wait = error.retryAfter;
      return wait
        ? `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} min.`
        : 'Too many failed attempts. Try again later.';
    }
    case 'database_unavailable':
      return 'The database is unavailable. Try again in a moment.';
    default:
      return error.isNetwork ? 'Cannot reach the service. Check the connection and try again.' : error.message;
  }
}

interface Props {
  onSignIn: (credentials: { username: string; password: string }) => void;
  busy: boolean;
  error: unknown;
  ended: 'expired' | 'signed-out' | null;
}

export default function SignIn({ onSignIn, busy, error, ended }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (username.trim() && password.trim()) onSignIn({ username: username.trim(), password });
  };
  return (
    <main className="signin">
      <div className="signin__card">
        <h1>Data Machine jobs</h1>
        <p className="signin__lead">
          Sign in with your username and an application password.
        </p>
        {ended === 'expired' && !error && (
          <Notice status="warning" isDismissible={false}>
            Your session has ended; sign in again.
          </Notice>
        )}
        {ended === 'signed-out' && !error && (
          <Notice status="info" isDismissible={false}>
            You have signed out.
          </Notice>
        )}
        {error ? (
          <div data-testid="login-error" role="alert">
            <Notice status="error" isDismissible={false}>
              {signInErrorMessage(error)}
            </Notice>
          </div>
        ) : null}
        <form onSubmit={submit} aria-label="Sign in">
          <TextControl
            __next40pxDefaultSize
            label="Username"
            value={username}
            onChange={setUsername}
            autoComplete="username"
            required
          />
          <TextControl
            __next40pxDefaultSize
            label="Application password"
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
            help="Six groups of four letters and digits; the spaces are optional."
            required
          />
          <Button
            __next40pxDefaultSize
            variant="primary"
            type="submit"
            isBusy={busy}
            accessibleWhenDisabled
            disabled={busy}
          >
            Sign in
          </Button>
        </form>
      </div>
    </main>
  );
}
