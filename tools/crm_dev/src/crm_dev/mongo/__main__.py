import sys

from crm_dev.mongo.server import main

sys.exit(main())
