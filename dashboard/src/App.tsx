import { Button, Notice, Spinner } from '@wordpress/components';
import Banners from './components/Banners';
import Forbidden from './components/Forbidden';
import ErrorBoundary from './components/ErrorBoundary';
import { useServiceHealth, useSession, useSignIn, useSignOut } from './queries';
import Jobs from './screens/Jobs';
import SignIn from './screens/SignIn';

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
        {user.capabilities.includes(MANAGE) ? <Jobs /> : <Forbidden />}
      </main>
    </>
  );
}

export default function App() {
  const health = useServiceHealth();
  return (
    <ErrorBoundary>
      <Banners health={health} />
      <Gate />
    </ErrorBoundary>
  );
}
