from tradeinbox.cli import main

raise SystemExit(main())
