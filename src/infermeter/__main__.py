"""python -m infermeter"""

from .cli import main

raise SystemExit(main())
