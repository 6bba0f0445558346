"""What leaves the room: the minutes (Markdown, HTML, JSON), the network's newsletter draft, its
Atom feed and calendars, the CSV exports, the chat webhook, and the addresses they carry.

Publishing reads meetings and never imports the meeting logic or the live layer above it: those
call it, and a result that must reach a console is handed back through a plain callback.
"""
