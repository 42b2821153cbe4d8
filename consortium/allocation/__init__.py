"""Allocation runs: the optimiser applied to a solicitation's opt-ins and bids, as scenarios."""
