"""`python -m bot` is the `faqbot` command."""

from bot.cli import main

raise SystemExit(main())
