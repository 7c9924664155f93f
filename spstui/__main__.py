from spstui.cli import main

raise SystemExit(main())
