from mbpipe.cli import main

raise SystemExit(main())
