"""Project commands (`COMMANDS_MODULE`): `crawl` with argument checks and honest exit codes."""
