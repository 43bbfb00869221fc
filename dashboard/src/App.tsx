import { Button, Notice, Spinner } from '@wordpress/components';
import { useEnableWpCompatOverlaySlot } from '@wordpress/ui';
import { lazy, Suspense } from 'react';
import Banners from './components/Banners';
import Forbidden from './components/Forbidden';
import ErrorBoundary from './components/ErrorBoundary';
import { useServiceHealth, useSession, useSignIn, useSignOut } from './queries';
import SignIn from './screens/SignIn';

// The jobs screen (DataViews and most of the components) is the larger part of the code: the
// sign-in form does not wait for it, but its download starts with the page, beside the session
// check, so a signed-in person does not wait for it either.
const jobsScreen = import('./screens/Jobs');
const Jobs = lazy(() => jobsScreen);

const MANAGE = 'manage_options';

function Gate() {
  const session = useSession();
  const signIn = useSignIn();
  const signOut = useSignOut();

  if (session.isPending) {
    return (
      <main className="loading" aria-busy="true">
        <Spinner />
        <span>Loading…</span>
      </main>
    );
  }
  if (session.isError) {
    return (
      <main className="signin">
        <div className="signin__card">
          <h1>Data Machine jobs</h1>
          <Notice status="error" isDismissible={false}>
            Could not check the session: {session.error.message}
          </Notice>
          <Button variant="primary" onClick={() => session.refetch()}>
            Try again
          </Button>
        </div>
      </main>
    );
  }
  const { session: current, ended } = session.data;
  if (!current) {
    return (
      <SignIn
        onSignIn={(credentials) => signIn.mutate(credentials)}
        busy={signIn.isPending}
        error={signIn.error}
        ended={ended}
      />
    );
  }
  const user = current.user;
  return (
    <>
      <header className="masthead">
        <h1 className="masthead__title">Data Machine jobs</h1>
        <div className="masthead__user">
          <span>
            Signed in as <strong>{user.username}</strong>
            <span className="masthead__role"> ({user.role})</span>
          </span>
          <Button
            variant="secondary"
            size="compact"
            onClick={() => signOut.mutate()}
            isBusy={signOut.isPending}
          >
            Sign out
          </Button>
        </div>
      </header>
      <main className="content">
        {user.capabilities.includes(MANAGE) ? (
          <Suspense
            fallback={
              <p className="loading-inline" aria-busy="true">
                <Spinner /> Loading the jobs…
              </p>
            }
          >
            <Jobs />
          </Suspense>
        ) : (
          <Forbidden />
        )}
      </main>
    </>
  );
}

export default function App() {
  // DataViews' menus and popovers (@wordpress/ui) stack above the page only in this body-level
  // slot, which WordPress's admin turns on by itself and a standalone page must ask for.
  useEnableWpCompatOverlaySlot();
  const health = useServiceHealth();
  return (
    <ErrorBoundary>
      <Banners health={health} />
      <Gate />
    </ErrorBoundary>
  );
}
