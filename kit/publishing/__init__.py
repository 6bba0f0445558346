"""What leaves the room: the minutes (Markdown, HTML, JSON), the network's newsletter draft, its
Atom feed and calendars (one per minutes, one to subscribe to per network), the CSV exports, the
chat webhook (each chat's own payload), the YesWiki copies, and the addresses they carry.

Publishing reads meetings and never imports the meeting logic or the live layer above it: those
call it, and a result that must reach a console is handed back through a plain callback.
"""
