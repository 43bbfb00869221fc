import { Button, Modal, Notice } from '@wordpress/components';

interface Props {
  title: string;
  message: string;
  onMore: () => void;
  onClose: () => void;
}

/** What a finished clear says, with "Clear more" (a new request) and "Close". */
export default function ClearDone({ title, message, onMore, onClose }: Props) {
  return (
    <Modal title={title} onRequestClose={onClose}>
      <Notice status="success" isDismissible={false}>
        {message}
      </Notice>
      <div className="dialog__actions">
        <Button variant="secondary" onClick={onMore}>
          Clear more
        </Button>
        <Button variant="primary" onClick={onClose}>
          Close
        </Button>
      </div>
    </Modal>
  );
}
