import { Button, Notice } from '@wordpress/components';
import { Component } from 'react';
import type { ErrorInfo, ReactNode } from 'react';

interface State {
  error: Error | null;
}

/** Whatever breaks in rendering, the page says so and offers a way on: never a blank page. */
export default class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    // Kept for whoever opens the browser console; the page shows its own message.
    // eslint-disable-next-line no-console
    console.error(error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="fatal">
        <h1>Something went wrong</h1>
        <Notice status="error" isDismissible={false}>
          The page hit an error it could not recover from: {this.state.error.message}
        </Notice>
        <p>
          <Button variant="primary" onClick={() => window.location.reload()}>
            Reload the page
          </Button>{' '}
          <Button variant="secondary" onClick={() => this.setState({ error: null })}>
            Try again
          </Button>
        </p>
      </main>
    );
  }
}
