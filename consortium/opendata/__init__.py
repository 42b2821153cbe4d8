"""Open data: every published solicitation, award and contract as OCDS 1.1.5.

ocds   the release builder (the joint purchase in OCDS terms, what is public when)
views  /open-data/ (what the feed is), /open-data/ocds.json, /open-data/ocds/<id>.json
"""
