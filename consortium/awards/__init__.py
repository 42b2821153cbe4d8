"""Published awards: groups, contracts, acceptance, reports and public verification."""
