"""``python -m verticalize``: the same as the ``verticalize`` command."""
import sys

from verticalize.cli import main

sys.exit(main())
