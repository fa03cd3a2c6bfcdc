import sys

from esfbank.cli import main

sys.exit(main())
