"""Beat jobs of messaging: thin wrappers around services."""

from celery import shared_task


@shared_task(name="messaging.offset_plans")
def offset_plans():
    """W1: fire the time-offset plans (before surgery, after admission / discharge) for the cases now due."""
    from messaging.services import offset_plans_run

    return offset_plans_run()


@shared_task(name="messaging.retry_due")
def retry_due():
    """Start the next delivery round of messages whose every channel was down."""
    from messaging.services import messages_retry_due

    return messages_retry_due()


@shared_task(name="messaging.purge_receipt_nonces")
def purge_receipt_nonces():
    from booking.signing import nonces_purge
    from messaging.conf import conf
    from messaging.models import ReceiptNonce

    return nonces_purge(ReceiptNonce, conf("MESSAGING_RECEIPT_WINDOW_SECONDS"))
