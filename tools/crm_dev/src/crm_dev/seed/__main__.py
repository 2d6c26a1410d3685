from crm_dev.seed import main

raise SystemExit(main())
