"""Loaded into gdb by scripts/bench/retains.py: counts the front's calls of the runtime functions
named in RETAINS_SYMBOLS (swift_retain and swift_release, unless told) by their three nearest callers, while the phase file names a phase ("poll" or
"idle"), and writes the counts (count, phase, symbol, callers…, tab-separated) once the phase file is emptied.

A breakpoint whose `stop` returns False never stops the front: gdb runs this for each call and
lets it go on, so a poll is slowed (about 0.3 s each) but not changed.
"""
import collections
import os

import gdb

PHASE_FILE = os.environ["RETAINS_PHASE_FILE"]
COUNTS_FILE = os.environ["RETAINS_COUNTS_FILE"]
counts = collections.Counter()


class CountingBreakpoint(gdb.Breakpoint):
    def stop(self):
        try:
            with open(PHASE_FILE) as phase_file:
                phase = phase_file.read()
        except OSError:
            return False
        if not phase:
            if counts and not os.path.exists(COUNTS_FILE):
                # Counting is over (the phase file was emptied): the counts are written at the
                # front's next call, and the runner stops both.
                write_counts()
            return False
        callers = []
        frame = gdb.newest_frame().older()
        while frame is not None and len(callers) < 3:
            callers.append(frame.name() or hex(frame.pc()))
            frame = frame.older()
        counts[(phase, self.location, *callers)] += 1
        return False


def write_counts():
    with open(COUNTS_FILE + ".partial", "w") as out:
        for key, count in counts.most_common():
            out.write("\t".join([str(count), *key]) + "\n")
    os.rename(COUNTS_FILE + ".partial", COUNTS_FILE)


for symbol in os.environ["RETAINS_SYMBOLS"].split(","):
    CountingBreakpoint(symbol)
# Armed: the front goes on once gdb runs its next command (`continue`).
with open(PHASE_FILE, "w") as phase_file:
    phase_file.write("")
with open(PHASE_FILE + ".armed", "w"):
    pass
