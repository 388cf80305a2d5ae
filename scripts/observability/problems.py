"""How the checks of this directory end: the problems found, on stderr, and exit status 1."""
import sys


def exit_if_any(problems):
    if not problems:
        return
    print(f"{len(problems)} problems:", file=sys.stderr)
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    sys.exit(1)
