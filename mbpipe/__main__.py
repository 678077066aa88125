"""`python -m mbpipe`, as the workflow's rules run it: handed to the run's job server when it has one."""

import sys

from mbpipe.jobserver.client import hand_over

status = hand_over(sys.argv[1:])
if status is None:
    from mbpipe.cli import main

    status = main()
raise SystemExit(status)
