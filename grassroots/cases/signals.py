"""Signals other apps listen to; ``cases`` itself knows nothing of its listeners.

``case_changed`` is sent inside the transaction of every state change, right after its
timeline entry is written (``services._timeline``), with ``case`` (the saved row) and
``entry`` (the ``TimelineEntry``). A receiver that raises rolls the change back, so
receivers keep to cheap, local writes (``insight`` updates its summary tables here).
"""

from django.dispatch import Signal

case_changed = Signal()
