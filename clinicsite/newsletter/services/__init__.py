"""Writes to the mailing list, one module per concern.

* ``subscribers``: sign-up, confirmation, leaving, preferences, export, erasure; each status
  change goes through ``Subscriber.TRANSITIONS`` and leaves a ``ConsentEvent``.
* ``digests``: what a digest lists and to whom, scheduling it, starting it (the send log) and
  its test copy.
* ``delivery``: claiming send-log rows and sending them in batches over one SMTP connection.

Mail is queued with ``core.mail.enqueue_after_commit``, so it exists exactly when the change
that asks for it was committed.
"""
