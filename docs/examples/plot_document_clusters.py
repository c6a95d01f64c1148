"""
Clustering documents
====================

TF-IDF vectors, spherical (cosine) k-means, and for every cluster its top
terms and the documents that stand for it.
"""

from vqtoolkit import DocumentClusterer

docs = [
    "the team won the match with a late goal", "the striker scored a goal in the final",
    "fans cheered the team after the cup final", "the coach praised the team defence",
    "shares fell as the market slumped", "the bank raised interest rates again",
    "investors sold shares after weak profits", "the market rallied on strong profits",
    "the new phone has a faster chip", "software update fixes the phone battery bug",
    "the chip maker unveiled a faster processor", "users complained about the software update",
]
dc = DocumentClusterer(3, random_state=0).fit(docs)
for c, terms in enumerate(dc.top_terms(4)):
    print(c, terms)
