"""The `partnerwatch` command line: the top layer, importing every other one and imported by none."""
