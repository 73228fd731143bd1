"""EDI X12: interchanges read and acknowledged (`x12`), and what Handoff reads of each kind
(`carrier_status`: the carriers' 214s)."""
