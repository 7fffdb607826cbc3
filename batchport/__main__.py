"""``python -m batchport``: the same as the ``batchport`` command."""

from batchport.cli import main

main()
