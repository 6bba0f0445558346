"""A meeting, from its preparation to its close: the lifecycle, the room's control, moderation,
votes, what a participant withdraws, and the templates a meeting is prepared from.

Plain functions that validate, store and commit; the pages and the live layer call them.
"""
