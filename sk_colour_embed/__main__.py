import sys

from sk_colour_embed._cli import main

sys.exit(main())
