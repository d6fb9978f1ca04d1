import sys

from weir.sim.cli import main

raise SystemExit(main(sys.argv[1:]))
