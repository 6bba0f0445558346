"""A local network: its meetings remember each other (needs, roadmap and news carried to the next
one), its members' directory, its hosts, and the whole network as one file (``transfer``).

The network's places have their own package, ``kit.places``, below the activities that use them.
"""
