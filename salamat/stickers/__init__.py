"""Ready-made stickers for packages whose code is not unique (EAN-13 only) or that have none.

No `schemas.py`: the one API endpoint's schemas are small and live in `api.py`. No `admin.py`:
stickers are seen through their packages in traceability's admin. Packages are registered and
removed through traceability's services (`packages_register`, `packages_unregister`), never by
writing the package table here.
"""
