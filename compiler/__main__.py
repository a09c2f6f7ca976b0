"""``python -m pipec`` runs the command line (:mod:`pipec.cli`)."""

from pipec.cli import main

raise SystemExit(main())
