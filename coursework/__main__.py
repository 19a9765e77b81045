import sys

from coursework.cli import main

sys.exit(main())
