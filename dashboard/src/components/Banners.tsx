import { Notice } from '@wordpress/components';
import type { Health } from '../queries';

/** The non-blocking banner while the service is down; it goes when a request succeeds again. */
export default function Banners({ health }: { health: Health }) {
  if (health === 'ok') return null;
  return (
    <div
      className="banner"
      role="status"
      data-testid={health === 'database' ? 'banner-database' : 'banner-network'}
    >
      <Notice status="warning" isDismissible={false} spokenMessage={null}>
        {health === 'database' ? 'Database unavailable, retrying…' : 'Cannot reach the service, retrying…'}
      </Notice>
    </div>
  );
}
