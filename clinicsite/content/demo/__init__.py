"""The demo clinic as data: YAML files here, read and upserted by ``loader.py``.

Adding a page to the demo means adding a file (a story to ``stories/``, an article to
``articles/``); each file's header says what its keys mean.
"""
