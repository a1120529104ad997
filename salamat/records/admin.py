"""Ministry staff see the code lists; clinical data is not browsable in the admin (it is read
only through the access decision, which logs every read)."""

from django.contrib import admin

from salamat.records.models import CodeSystem, Concept


@admin.register(CodeSystem)
class CodeSystemAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "uri", "version", "is_sample", "loaded_at")
    readonly_fields = ("loaded_at",)


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ("code", "system", "title_ru", "title_ky", "title_en", "active")
    list_filter = ("system", "active")
    search_fields = ("code", "title_ru", "title_ky", "title_en")
