"""Traceability web pages, one file per family of pages:

    scan.py        the scanning pages (one per operation) and the htmx check of one code
    shipments.py   the shipment inbox: accept, reject, receive by scanning
    stock.py       the organisation's stock, a package's history
    operations.py  recent operations, cancelling one
    regulator.py   the alert inbox, recalls
    access.py      who may open which page
    nav.py         the pages in the navigation registry

Views stay thin: they read forms, call one service or selector, and render. What the codes
are called on a page lives in `salamat.traceability.labels` (other modules' pages use it too).
"""
