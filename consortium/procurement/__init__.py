"""Procurement: solicitations and their state machine, the clause library, district opt-ins, momentum.

models    Solicitation, Clause, SolicitationClause, OptIn; `phase` and `allowed_transitions`
services  the lifecycle (create, update_draft, extend_deadlines, publish, cancel, transition)
          and the clause library; re-exports the names below
optins    upsert_opt_in / withdraw_opt_in (row-locked), lists, CSV, deadline reminders
momentum  aggregate demand (districts, seats, distribution) and the open-solicitation summaries
grouping  the grouping policy form <-> ALLOCATION.md policy, policy and requirements in words
confirmations  what publishing, cancelling or withdrawing an opt-in will do (confirmation pages)
"""
