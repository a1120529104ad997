"""The layout at the top of the house: base template, home page, login, logout, organisation
switch, API-client pages, error pages; and the commands that span every module (`dev_setup`,
`dev_banner`, `export_openapi`).

Rooms: no models, services or api of its own — it reads through the apps' selectors and
writes through their services; each app's pages are in that app (registry's in
`salamat.registry.views`). It may import any app; none imports it (but for
the re-exports in nav/decorators/errors/redirects, until the apps still using them move)."""
