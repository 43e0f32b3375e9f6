"""What every bench here times with: medians of a baseline and the measured function, run in turns."""
import statistics
import time

from participation.extensions import db


def medians_ms(baseline, measured, repeat: int) -> tuple[float, float]:
    """Median milliseconds of each, run in turns so that load from elsewhere on the machine hits both alike; the
    session forgets its objects before every run, as a new request would."""
    times = ([], [])
    for _ in range(repeat):
        for function, kept in ((baseline, times[0]), (measured, times[1])):
            db.session.expire_all()
            started = time.perf_counter()
            function()
            kept.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])
