import { Notice } from '@wordpress/components';

/** For a signed-in user without `manage_options`: say why there is nothing, not a blank page. */
export default function Forbidden() {
  return (
    <div className="forbidden" data-testid="forbidden" role="alert">
      <Notice status="warning" isDismissible={false}>
        Managing jobs needs an administrator account.
      </Notice>
      <p>Sign out and sign in as an administrator, or ask one to give you the role.</p>
    </div>
  );
}
