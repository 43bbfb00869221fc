import { Button } from '@wordpress/components';
import { countOf, formatNumber } from '../format';

interface Props {
  label: string;
  page: number;
  perPage: number;
  total: number;
  noun: string;
  onPage: (page: number) => void;
}

/** Previous and next buttons with "11–20 of 45 items", for the small tables of the dialogs. */
export default function Pager({ label, page, perPage, total, noun, onPage }: Props) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const first = total === 0 ? 0 : (page - 1) * perPage + 1;
  const last = Math.min(total, page * perPage);
  return (
    <nav className="pager" aria-label={label}>
      <Button variant="secondary" size="compact" disabled={page <= 1} accessibleWhenDisabled onClick={() => onPage(page - 1)}>
        Previous page
      </Button>
      <span aria-live="polite">
        {formatNumber(first)}–{formatNumber(last)} of {countOf(total, noun)}
      </span>
      <Button variant="secondary" size="compact" disabled={page >= pages} accessibleWhenDisabled onClick={() => onPage(page + 1)}>
        Next page
      </Button>
    </nav>
  );
}
