"""The quarterly e-mail to the Energy Board, one module per job.

- `inhoud`: what the overview says, derived from one portfolio snapshot (`Overzicht`);
- `lijstprojecten`: its part about the project lists (counts, shifts, list plusprojecten in one line);
- `woorden`: the stoplicht order, short names, detail limit and count words all parts share;
- `bericht`: its MIME form (Outlook-safe HTML and plain text);
- `tijdlijn`: the timeline picture;
- `transport`: how it leaves the building (outbox folder, SMTP, Graph);
- `rapportage`: the frozen snapshot per quarter, the exactly-once send record and the scheduled job.
"""
