"""Accounts: people, organisations, their memberships and their standing with consortia.

models         User, Organisation, Membership, DistrictProfile, VendorProfile, Affiliation
registration   a new person and a new district or vendor, applying to a consortium
organisations  an organisation's slug, profile and people
affiliations   applying to a consortium, and its managers verifying or rejecting
signin         signing in and out, password links (reset and invitation), password changes
imports        a manager's CCD import of districts (all rows or none)

Who is acting in a request (the active organisation) is `consortium.context`.
"""
