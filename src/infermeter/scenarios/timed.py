"""The clauses every "what was timed" sentence shares: how requests are stamped, what throughput divides,
and what happens outside the timed window (inputs, outputs, warm-up, pacing)."""

from __future__ import annotations

from .base import TimedFacts

STAMPS_CHAINED = ("one clock read after each call ends it and starts the next (the loop's bookkeeping between "
                  "calls, a fraction of a µs, counts in the latency)")
STAMPS_TWO = "clock read just before and just after it"
THROUGHPUT = "throughput = batch × completed requests / (last completion − first submission)"


def stamps(facts: TimedFacts) -> str:
    return STAMPS_TWO if facts.two_stamps else STAMPS_CHAINED


def setup(facts: TimedFacts) -> str:
    """Inputs, outputs, what is excluded, and the pacing, as one clause."""
    if facts.copy_in:
        inputs = (f"full mode (-inference_only false): each call first copies the next of {facts.input_sets} "
                  "input samples into the request's input buffers, inside the timed call; samples prepared "
                  "before timing")
    elif facts.input_sets:
        inputs = f"{facts.input_sets} input sets, each bound once before timing to its own request, used in turn"
    else:
        inputs = "inputs prepared and bound once before timing"
    outputs = ("each call copies the outputs into new numpy arrays (session.run, no IO binding)"
               if facts.outputs_copied else "outputs stay in engine memory")
    parts = [inputs, outputs, f"warm-up ({facts.warmup}) and the first inference are excluded"]
    if facts.max_rate:
        parts.append(f"starts capped at {facts.max_rate:g}/s (-max_irate), the wait is not in the latency")
    return "; ".join(parts)
